// The language server as server.ts composes it, in this process over in-memory streams, with a test's engine: what
// happens while a model run is held (the built server's model answers in a few milliseconds, before a message sent
// "meanwhile" may be handled).
import { PassThrough } from 'node:stream';
import { createConnection, ProposedFeatures } from 'vscode-languageserver/node';
import { createProtocolConnection, InitializedNotification, InitializeRequest, StreamMessageReader, StreamMessageWriter, type ClientCapabilities, type ProtocolConnection } from 'vscode-languageserver-protocol/node';
import type { InferenceEngine } from '../../runtime/engine';
import { StatusNotification } from '../../lsp-server/protocol';
import { startServer } from '../../lsp-server/server';

export interface InProcessServer {
  connection: ProtocolConnection;
  /** Shuts the server down (never `exit`, which would end this process). */
  stop(): Promise<void>;
}

/**
 * Starts the server with `engine` and a tokenizer of one token per character; resolves once its model is ready.
 * `capabilities`: what the client declares.
 */
export async function startInProcessServer(engine: InferenceEngine, settings: Record<string, unknown> = {}, capabilities: ClientCapabilities = {}): Promise<InProcessServer> {
  const toServer = new PassThrough();
  const toClient = new PassThrough();
  startServer(createConnection(ProposedFeatures.all, toServer, toClient), {
    createEngine: () => engine,
    loadTokenizer: async () => ({ encode: (text) => [...text].map((c) => c.codePointAt(0)!), specialTokenId: () => undefined }),
    bundleDir: '/locus-test/dist',
    createTelemetryQueries: () => ({
      summary: () => Promise.reject(new Error('no telemetry in this test')),
      export: () => Promise.reject(new Error('no telemetry in this test')),
      dispose: () => {},
    }),
  });
  const connection = createProtocolConnection(new StreamMessageReader(toClient), new StreamMessageWriter(toServer));
  const ready = new Promise<void>((resolve) =>
    connection.onNotification(StatusNotification.type, (status) => {
      if (status.state === 'ready') resolve();
    }),
  );
  connection.listen();
  await connection.sendRequest(InitializeRequest.type, { processId: null, rootUri: null, capabilities, initializationOptions: settings });
  await connection.sendNotification(InitializedNotification.type, {});
  await ready;
  return {
    connection,
    stop: async () => {
      await connection.sendRequest('shutdown');
      connection.dispose();
    },
  };
}
