// activate/deactivate only: wires the client, the status bar, the commands and settings changes.
import * as vscode from 'vscode';
import { State, type LanguageClient } from 'vscode-languageclient/node';
import { EfficiencyNotification, WorkspaceTrustNotification } from '../lsp-server/protocol';
import { CompletionTimingsNotification, StatusNotification, type ModelStatus } from '../lsp-server/protocol';
import { TelemetryClearRequest, TelemetryExportRequest, TelemetryRequest } from '../lsp-server/protocol';
import { trackActiveLanguage } from './activeLanguage';
import { trackSkippedDocuments } from './skippedDocuments';
import { registerAutomaticCompletions } from './automaticCompletions';
import { createClient, sendSettings } from './client';
import { registerContextCommands } from './contextCommands';
import { Config, SECTION } from './config';
import { DashboardPanel } from './dashboardPanel';
import { DelayedBusy } from './delayedBusy';
import { MemberNamesFeature } from './memberNames';
import { LastExplicitRequest, triggerInlineCompletion, WholeCompletionFeature } from './wholeCompletion';
import { RestartPolicy } from '../lsp-server/restartPolicy';
import { StatusBar } from './statusBar';
import { modelErrorButtons, ModelErrorNotices, OPEN_SETTINGS, settingsEditorCommand, RESTART_SERVER as RESTART_BUTTON, SHOW_OUTPUT as SHOW_OUTPUT_BUTTON, type ModelError } from './modelErrorNotices';

const SHOW_OUTPUT = 'locus.showOutput';
const RESTART_SERVER = 'locus.restartServer';
const SHOW_LATENCY = 'locus.showLatency';
const EFFICIENCY_UNTRUSTED = 'Efficiency checks are off: this workspace is in Restricted Mode. Trust it ("Workspaces: Manage Workspace Trust") to run them.';
/** How long the client must stay stopped before the status bar says the server is not running (an automatic restart passes through Stopped). */
const STOPPED_SHOWN_AFTER_MS = 1500;

let client: LanguageClient | undefined;

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  const output = vscode.window.createOutputChannel('Locus', { log: true });
  // The index cache holds code: it goes to this workspace's storage (removed with the workspace) when there is one.
  // Model copies are per machine, not per workspace: one copy serves every window that loads the model.
  const config = new Config(
    vscode.Uri.joinPath(context.globalStorageUri, 'telemetry').fsPath,
    vscode.Uri.joinPath(context.storageUri ?? context.globalStorageUri, 'index').fsPath,
    vscode.Uri.joinPath(context.globalStorageUri, 'models').fsPath,
  );
  const statusBar = new StatusBar(SHOW_OUTPUT);
  const restarts = new RestartPolicy();
  context.subscriptions.push(output, statusBar);

  const generating = new DelayedBusy((busy) => statusBar.setGenerating(busy));
  const lastExplicit = new LastExplicitRequest();
  const languageClient = createClient(context, config, output, restarts, {
    onGaveUp: (message) => {
      statusBar.setStopped(message);
      void offerRestart(message);
    },
    completionStarted: (document, position, completionContext) => {
      lastExplicit.note(document, position, completionContext);
      return generating.begin();
    },
  });
  client = languageClient;
  languageClient.registerFeature(new MemberNamesFeature(languageClient, output));
  const wholeCompletion = new WholeCompletionFeature(languageClient, lastExplicit);
  languageClient.registerFeature(wholeCompletion);
  const dashboard = new DashboardPanel(
    context.extensionUri,
    {
      summary: (since) => languageClient.sendRequest(TelemetryRequest.type, since === null ? {} : { since }),
      export: (format, since) => languageClient.sendRequest(TelemetryExportRequest.type, since === null ? { format } : { format, since }),
      clear: () => languageClient.sendRequest(TelemetryClearRequest.type),
    },
    output,
  );
  context.subscriptions.push(dashboard, dashboard.registerRestore());

  const modelErrors = new ModelErrorNotices();
  let restarting = false;
  let notRunning: ReturnType<typeof setTimeout> | undefined;
  context.subscriptions.push({ dispose: () => clearTimeout(notRunning) });
  context.subscriptions.push(
    languageClient.onNotification(StatusNotification.type, (status: ModelStatus) => {
      statusBar.setStatus(status);
      const show = modelErrors.shouldShow(status);
      if (status.state !== 'error') return;
      output.error(`${status.message} (${status.code})`);
      output.info(`Fix: ${status.fix}`);
      if (show) void showModelError(status).finally(() => modelErrors.closed());
    }),
    languageClient.onNotification(EfficiencyNotification.type, (report) => {
      if (report.kind === 'unavailable') {
        output.warn(report.reason);
        return;
      }
      // The server has logged it; the status bar keeps saying it while it holds.
      if (report.kind === 'untrusted') {
        if (!vscode.workspace.isTrusted) statusBar.setEfficiencyOff(EFFICIENCY_UNTRUSTED);
        return;
      }
      output.info(`Efficiency check for ${report.functionName}: ${report.summary}`);
      vscode.window.setStatusBarMessage(`$(beaker) ${report.functionName}: ${report.summary}`, 15_000);
      // Ask for the suggestion again: the server now offers the chosen completion first.
      const editor = vscode.window.activeTextEditor;
      if (report.improved && editor?.document.uri.toString() === report.uri && editor.document.version === report.version) {
        void triggerInlineCompletion(lastExplicit, editor);
      }
    }),
    // Efficiency checks run only in trusted workspaces; the server assumes untrusted until told.
    languageClient.onDidChangeState((event) => {
      clearTimeout(notRunning);
      // A server that stopped answers nothing more: its requests in flight must not keep "Generating…" shown.
      if (event.newState !== State.Running) generating.reset();
      if (event.newState === State.Running) {
        void languageClient.sendNotification(WorkspaceTrustNotification.type, { trusted: vscode.workspace.isTrusted });
        // An open dashboard showed "No figures." while the server was down.
        dashboard.requestRefresh();
      }
      // Stopped for good: the last status from the server no longer holds. The client passes through Stopped when it
      // restarts a crashed server too, and moves on to Starting at once: only a Stopped that lasts is shown (the
      // status bar flashed red at every automatic restart).
      if (event.newState === State.Stopped && !restarting) {
        notRunning = setTimeout(() => {
          if (languageClient.state === State.Stopped && !restarting) statusBar.setNotRunning();
        }, STOPPED_SHOWN_AFTER_MS);
      }
    }),
    vscode.workspace.onDidGrantWorkspaceTrust(() => {
      statusBar.setEfficiencyOff(undefined);
      if (languageClient.isRunning()) void languageClient.sendNotification(WorkspaceTrustNotification.type, { trusted: true });
    }),
    languageClient.onNotification(CompletionTimingsNotification.type, (timings) => {
      statusBar.setTimings(timings);
      dashboard.requestRefresh();
    }),
    vscode.commands.registerCommand(SHOW_LATENCY, () => dashboard.show()),
    wholeCompletion.register(),
    ...registerContextCommands(languageClient, output),
    ...registerAutomaticCompletions(config, statusBar),
    ...trackActiveLanguage(config, statusBar),
    ...trackSkippedDocuments(languageClient, statusBar),
    vscode.commands.registerCommand(SHOW_OUTPUT, () => output.show(true)),
    vscode.commands.registerCommand(RESTART_SERVER, async () => {
      // One restart at a time: a second one while the first stops or starts the server left it stopped.
      if (restarting) return void output.info('The Locus server is already restarting.');
      restarting = true;
      restarts.reset();
      output.info('Restarting the Locus server.');
      try {
        // After a crash loop the client is stopped (or its start failed), and restart() would first try to stop it.
        if (languageClient.state === State.Stopped) await languageClient.start();
        else {
          await languageClient.restart().catch(async (error: unknown) => {
            // A server too busy to stop (stuck in long work) times the stop out; the client then ends its process and
            // is stopped, so starting it again is what the user asked for.
            if (languageClient.state !== State.Stopped) throw error;
            output.warn(`The Locus server did not stop in time (${error instanceof Error ? error.message : String(error)}); starting a new one.`);
            await languageClient.start();
          });
        }
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        output.error(`Restarting the Locus server failed: ${message}`);
        statusBar.setStopped(message);
        void vscode.window.showErrorMessage('Locus could not restart its server; see the Locus Output channel, then run "Locus: Restart Server" again.');
      } finally {
        restarting = false;
      }
    }),
    vscode.workspace.onDidChangeConfiguration((event) => {
      // files.exclude travels with the locus settings: it keeps files out of the workspace index. Without a scope the
      // check covers every folder's settings too.
      // Turned off, the checks wait for nothing (turned on again, the server says so again).
      if (event.affectsConfiguration(`${SECTION}.efficiency.enabled`) && config.efficiencyEnabled !== true) statusBar.setEfficiencyOff(undefined);
      if (!(event.affectsConfiguration(SECTION) || event.affectsConfiguration('files.exclude')) || !languageClient.isRunning()) return;
      void sendSettings(languageClient, config);
    }),
  );

  try {
    await languageClient.start();
  } catch (error) {
    // VS Code does not show a notification when an extension fails to activate, so we do.
    const message = error instanceof Error ? error.message : String(error);
    statusBar.setStopped(message);
    void vscode.window.showErrorMessage(`Locus could not start its server: ${message}`);
    throw error;
  }
}

export async function deactivate(): Promise<void> {
  await client?.stop();
  client = undefined;
}

async function offerRestart(message: string): Promise<void> {
  const choice = await vscode.window.showErrorMessage(message, 'Restart Server', 'Show Output');
  if (choice === 'Restart Server') await vscode.commands.executeCommand(RESTART_SERVER);
  else if (choice === 'Show Output') await vscode.commands.executeCommand(SHOW_OUTPUT);
}

/** Open Settings shows the setting that chose what failed; Restart Server loads the model again after a fix elsewhere. */
async function showModelError(error: ModelError): Promise<void> {
  const choice = await vscode.window.showWarningMessage(`Locus: ${error.message} ${error.fix}`, ...modelErrorButtons(error));
  if (choice === SHOW_OUTPUT_BUTTON) await vscode.commands.executeCommand(SHOW_OUTPUT);
  else if (choice === RESTART_BUTTON) await vscode.commands.executeCommand(RESTART_SERVER);
  else if (choice === OPEN_SETTINGS) await vscode.commands.executeCommand(settingsEditorCommand(vscode.env.remoteName), { query: error.setting });
}
