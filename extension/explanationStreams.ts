// The explanations streaming now, by stream id. The client keeps one handler per notification method
// (vscode-languageclient replaces an earlier one), so each Explain registering its own meant a second Explain took
// the first's chunks' handler, and the first, on ending, disposed the second's: its tab kept only its heading.
// One handler for the session routes each chunk to its stream.
import type { ExplainChunk } from '../lsp-server/protocol';

export class ExplanationStreams {
  private readonly streams = new Map<string, { text: string; append: (delta: string) => void }>();

  /** Starts routing `streamId`'s chunks to `append`; `end` stops it and gives what streamed. */
  open(streamId: string, append: (delta: string) => void): { streamed: () => string; end: () => void } {
    const stream = { text: '', append };
    this.streams.set(streamId, stream);
    return {
      streamed: () => stream.text,
      end: () => {
        if (this.streams.get(streamId) === stream) this.streams.delete(streamId);
      },
    };
  }

  /** A chunk of a stream no longer open (it ended, or was never this window's) is dropped. */
  deliver(chunk: ExplainChunk): void {
    const stream = this.streams.get(chunk.streamId);
    if (stream === undefined) return;
    stream.text += chunk.delta;
    stream.append(chunk.delta);
  }
}
