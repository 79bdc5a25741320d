// A throwaway workspace on disk for the context engine tests.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { WorkspaceExcludes } from '../../lsp-server/context/workspaceExcludes';

export function makeWorkspace(files: Record<string, string | Buffer>): { root: string; cleanup: () => void } {
  const root = mkdtempSync(join(tmpdir(), 'locus-ws-'));
  for (const [relative, content] of Object.entries(files)) {
    const file = join(root, relative);
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, content);
  }
  return { root, cleanup: () => rmSync(root, { recursive: true, force: true }) };
}

/** The same exclude globs in every workspace folder (index and prompts alike unless `prompt` is given). */
export function excludedEverywhere(index: string[], prompt: string[] = index): WorkspaceExcludes {
  return { window: { index, prompt }, folders: new Map() };
}

/** Planted in secret files; must never show up in an index or a prompt. */
export const CANARY = 'CANARY_7f3a9c1e5b';

export const SHAPES_TS = `import { Vector } from './vector';

/** A circle in the plane. */
export class Circle {
  constructor(readonly center: Vector, readonly radius: number) {}

  area(): number {
    return Math.PI * this.radius * this.radius;
  }

  contains(point: Vector): boolean {
    return this.center.distanceTo(point) <= this.radius;
  }
}

export function unitCircle(): Circle {
  return new Circle(new Vector(0, 0), 1);
}
`;

export const VECTOR_TS = `export class Vector {
  constructor(readonly x: number, readonly y: number) {}

  distanceTo(other: Vector): number {
    return Math.hypot(this.x - other.x, this.y - other.y);
  }

  scaledBy(factor: number): Vector {
    return new Vector(this.x * factor, this.y * factor);
  }
}
`;

export const MATH_PY = `import math


def hypotenuse(a, b):
    """Length of the long side."""
    return math.sqrt(a * a + b * b)


class Accumulator:
    def __init__(self):
        self.total = 0

    def add(self, value):
        self.total += value
        return self.total
`;
