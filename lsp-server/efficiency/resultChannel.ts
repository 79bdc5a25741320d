// The channel results travel on, and why a candidate cannot forge a pass through it.
//
// What the candidate controls: everything inside its process, including the harness that runs it (same
// process, so timing wraps only the function call). It can print anything, exit early with status 0, close or
// write to any file descriptor, and monkeypatch globals.
//
// What we do about it, in layers:
//   - Results never come from stdout, stderr or the exit status: a printed 'pass' or an early exit(0) yields no
//     result frames, which the parent reads as a failed run.
//   - Results come on fd 3 as frames `<mac> <seq> <type> <json>\n`, where mac = HMAC-SHA256(key, "<seq> <type>
//     <json>") with a fresh 256-bit key per run. The key reaches the harness on stdin, which the harness reads
//     to EOF and closes before any candidate code loads; it is never in the environment, argv or a file. A
//     candidate that writes its own frame to fd 3 (it can find the descriptor) cannot produce a valid MAC, and
//     frames are numbered, so it cannot replay or drop one; the run must end with a `done` frame whose count
//     matches.
//   - The key is still in the process, and in-process code can in principle find it (a V8 heap snapshot, Python's
//     gc/frames). So the parent trusts no verdict from the sandbox at all: frames carry raw return values, and the
//     parent decides pass/fail by comparing them with expected values computed in a separate candidate-free
//     reference run, or with the other candidates' majority. A forger would have to produce the right values,
//     which is what a correct candidate does anyway.
//   - Timings are the one thing a forger could shade. Memory comes from the operating system (VmHWM), and
//     reported call times are cross-checked against the CPU time the operating system charged the process
//     (see `timingsPlausible`): claiming to be fast while burning CPU marks the run invalid.
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

export type FrameType = 'load' | 'check' | 'done';

export interface Frame {
  seq: number;
  type: FrameType;
  body: unknown;
}

export type ChannelVerdict = { ok: true; frames: Frame[] } | { ok: false; reason: string };

export function newRunKey(): Buffer {
  return randomBytes(32);
}

export function frameMac(key: Buffer, seq: number, type: string, json: string): string {
  return createHmac('sha256', key).update(`${seq} ${type} ${json}`).digest('hex');
}

/** Serializes one frame the way the harnesses do (used by tests and the reference implementation). */
export function encodeFrame(key: Buffer, seq: number, type: FrameType, body: unknown): string {
  const json = JSON.stringify(body);
  return `${frameMac(key, seq, type, json)} ${seq} ${type} ${json}\n`;
}

/** Cheap test the sandbox runner calls with the channel's last line: is it a `done` frame? */
export function looksComplete(lastLine: Buffer): boolean {
  const text = lastLine.toString('utf8');
  return text.endsWith('\n') && / \d+ done /.test(text);
}

/** One line of the channel as the frame numbered `seq`, or why it is not that frame. */
function verifiedFrame(line: string, key: Buffer, seq: number): Frame | string {
  const match = /^([0-9a-f]{64}) (\d+) (load|check|done) (.*)$/s.exec(line);
  if (!match) return 'malformed result frame';
  const [, mac, seqText, type, json] = match;
  const expected = Buffer.from(frameMac(key, Number(seqText), type, json), 'hex');
  if (!timingSafeEqual(expected, Buffer.from(mac, 'hex'))) return 'result frame with a bad signature';
  if (Number(seqText) !== seq) return 'result frames out of order';
  try {
    return { seq, type: type as FrameType, body: JSON.parse(json) };
  } catch {
    return 'result frame is not JSON';
  }
}

export function verifyChannel(channel: Buffer, key: Buffer): ChannelVerdict {
  const text = channel.toString('utf8');
  if (!text.endsWith('\n')) return { ok: false, reason: 'no complete result frames' };
  const frames: Frame[] = [];
  for (const line of text.slice(0, -1).split('\n')) {
    const frame = verifiedFrame(line, key, frames.length);
    if (typeof frame === 'string') return { ok: false, reason: frame };
    frames.push(frame);
  }
  const last = frames[frames.length - 1];
  if (!last || last.type !== 'done') return { ok: false, reason: 'the harness never finished' };
  if ((last.body as { frames?: unknown }).frames !== frames.length - 1) return { ok: false, reason: 'result frame count mismatch' };
  if (frames.slice(0, -1).some((frame) => frame.type === 'done')) return { ok: false, reason: 'result frame after done' };
  return { ok: true, frames };
}

/**
 * The frames of a run that was stopped midway (a time or memory limit) that verify, from the first up to the first
 * that does not: how far it got, say whether it loaded. Never results: those come only from a complete channel.
 */
export function signedFrames(channel: Buffer, key: Buffer): Frame[] {
  const frames: Frame[] = [];
  for (const line of channel.toString('utf8').split('\n').slice(0, -1)) {
    const frame = verifiedFrame(line, key, frames.length);
    if (typeof frame === 'string') break;
    frames.push(frame);
  }
  return frames;
}

/**
 * Do the call times the harness reported fit the CPU time the operating system charged the sandbox?
 * `baselineCpuMs` is what a run with an empty candidate costs (interpreter start-up, harness). CPU time has a
 * 10 ms tick and includes JIT and GC threads, hence the generous slack; what it catches is a candidate that
 * reports microseconds while the kernel saw it spin for a second.
 */
export function timingsPlausible(reportedMs: number, osCpuMs: number, baselineCpuMs: number): boolean {
  const unexplained = osCpuMs - baselineCpuMs - reportedMs;
  return unexplained <= 100 + 1.0 * (reportedMs + baselineCpuMs);
}
