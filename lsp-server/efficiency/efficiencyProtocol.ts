// The efficiency checks' `locus/*` messages. Types only (vscode-languageserver-protocol), so the server, the
// VS Code client and the CLI can share them; like contextProtocol.ts, to be merged into protocol.ts by the lead.
import { NotificationType, type Position } from 'vscode-languageserver-protocol';

/**
 * Workspace Trust (client → server), sent once the client has started and again when trust is granted. The
 * checks run model-written code, so the server runs them only after `trusted: true` and assumes an untrusted
 * workspace until told otherwise.
 * - method: `locus/workspaceTrust`
 */
export namespace WorkspaceTrustNotification {
  export const method = 'locus/workspaceTrust';
  export const type = new NotificationType<{ trusted: boolean }>(method);
}

export type EfficiencyReport =
  | {
      kind: 'refined';
      uri: string;
      version: number;
      position: Position;
      functionName: string;
      /** One line, e.g. "4/4 checks passed; 2.1x faster than the slowest correct one (3/5 candidates correct)". */
      summary: string;
      /** True when the completion now offered first is not the plain suggestion. */
      improved: boolean;
    }
  | { kind: 'unavailable'; reason: string };

/**
 * Efficiency checks (server → client): a refinement finished, so the client can show the summary and re-trigger
 * the inline suggestion at that position (which now offers the chosen completion first); or the checks are
 * unavailable on this machine, and why.
 * - method: `locus/efficiency`
 */
export namespace EfficiencyNotification {
  export const method = 'locus/efficiency';
  export const type = new NotificationType<EfficiencyReport>(method);
}
