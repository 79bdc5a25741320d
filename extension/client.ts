// Builds the language client: dist/server.js on VS Code's own Node over IPC, settings in
// initializationOptions, and a bounded restart policy after crashes.
import * as vscode from 'vscode';
import {
  CloseAction,
  DidChangeConfigurationNotification,
  ErrorAction,
  LanguageClient,
  TransportKind,
  type CloseHandlerResult,
  type ErrorHandler,
  type ErrorHandlerResult,
  type LanguageClientOptions,
  type ServerOptions,
} from 'vscode-languageclient/node';
import { SERVER_EXEC_ARGV, serverProcessEnv } from '../lsp-server/serverProcessFlags';
import { SECTION, type Config } from './config';
import { RestartPolicy } from '../lsp-server/restartPolicy';
import { SERVED_SCHEMES } from './servedSchemes';

export interface ClientHooks {
  /** Called when the client gives up restarting the server; the hook tells the user (with a Restart button). */
  onGaveUp(message: string): void;
  /** An inline completion request went to the server; the returned function is called when it is answered. */
  completionStarted(document: vscode.TextDocument, position: vscode.Position, context: vscode.InlineCompletionContext): () => void;
}

export function createClient(
  context: vscode.ExtensionContext,
  config: Config,
  output: vscode.LogOutputChannel,
  restarts: RestartPolicy,
  hooks: ClientHooks,
): LanguageClient {
  const module = context.asAbsolutePath('dist/server.js');
  const env = serverProcessEnv(process.env);
  const serverOptions: ServerOptions = {
    run: { module, transport: TransportKind.ipc, options: { execArgv: [...SERVER_EXEC_ARGV], env } },
    debug: { module, transport: TransportKind.ipc, options: { execArgv: [...SERVER_EXEC_ARGV, '--nolazy', '--inspect=6019'], env } },
  };
  const clientOptions: LanguageClientOptions = {
    documentSelector: SERVED_SCHEMES.map((scheme) => ({ scheme })),
    outputChannel: output,
    // A function, so a restarted server gets the settings of that moment.
    initializationOptions: () => config.toServerSettings(),
    errorHandler: new BoundedRestarts(restarts, output, hooks),
    middleware: {
      provideInlineCompletionItems: async (document, position, context, token, next) => {
        const ended = hooks.completionStarted(document, position, context);
        try {
          return await next(document, position, context, token);
        } finally {
          ended();
        }
      },
      workspace: {
        // An added folder's own settings (its locus.exclude, files.exclude) reach the server before the folder does,
        // so its first walk already leaves out what they exclude.
        didChangeWorkspaceFolders: async (event, next) => {
          try {
            await sendSettings(client, config);
          } finally {
            await next(event);
          }
        },
      },
    },
  };
  const client = new LanguageClient('locus', 'Locus', serverOptions, clientOptions);
  return client;
}

/** Pushes the settings of this moment (`workspace/didChangeConfiguration`, all of them, every folder's included). */
export function sendSettings(client: LanguageClient, config: Config): Promise<void> {
  return client.sendNotification(DidChangeConfigurationNotification.type, { settings: { [SECTION]: config.toServerSettings() } });
}

class BoundedRestarts implements ErrorHandler {
  constructor(
    private readonly restarts: RestartPolicy,
    private readonly output: vscode.LogOutputChannel,
    private readonly hooks: ClientHooks,
  ) {}

  error(error: Error, _message: unknown, count: number | undefined): ErrorHandlerResult {
    this.output.error(`Connection to the Locus server failed: ${error.message}`);
    // Same rule as the default handler: a few transport errors in a row mean the connection is gone.
    return { action: (count ?? 0) <= 3 ? ErrorAction.Continue : ErrorAction.Shutdown, handled: true };
  }

  closed(): CloseHandlerResult {
    if (this.restarts.crashed()) {
      this.output.warn('The Locus server stopped unexpectedly; restarting it.');
      return { action: CloseAction.Restart, handled: true };
    }
    const minutes = this.restarts.windowMs / 60_000;
    const message =
      `The Locus server crashed ${this.restarts.maxRestarts + 1} times in the last ${minutes} minutes and will not be restarted. ` +
      'See the Locus Output channel, then run "Locus: Restart Server".';
    this.hooks.onGaveUp(message);
    // Handled: the library logs the message instead of its generic one, and shows nothing (the hook does, with a Restart button).
    return { action: CloseAction.DoNotRestart, message, handled: true };
  }
}
