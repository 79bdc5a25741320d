// The "Locus: Show Latency" webview: a single panel that shows the server's telemetry summary and saves exports.
// The data comes from the server (`locus/telemetry`, `locus/telemetryExport`) through an injected source,
// so this class knows nothing about the language client.
import { homedir } from 'node:os';
import * as vscode from 'vscode';
import type { TelemetryClearResult, TelemetryExportFormat, TelemetryExportResult, TelemetrySummary } from '../lsp-server/protocol';
import { failureMessage } from './contextCommandText';
import { createNonce, renderDashboardHtml } from './dashboardHtml';
import { exported, exportTitle, nothingToClear, nothingToExport } from './dashboardRecordText';

export interface DashboardDataSource {
  summary(since: number | null): Promise<TelemetrySummary>;
  export(format: TelemetryExportFormat, since: number | null): Promise<TelemetryExportResult>;
  clear(): Promise<TelemetryClearResult>;
}

/** What the webview script (media/dashboard/dashboard.js) posts. */
type WebviewMessage =
  | { type: 'ready' | 'refresh' | 'clear'; rangeMs: number | null }
  | { type: 'export'; format: TelemetryExportFormat; rangeMs: number | null };

const VIEW_TYPE = 'locus.latencyDashboard';
/** New requests refresh an open dashboard at most this often. */
const REFRESH_INTERVAL_MS = 2000;

export class DashboardPanel implements vscode.Disposable {
  private panel: vscode.WebviewPanel | undefined;
  /** The chosen range's length (null: all records); its start is taken at each refresh, so it moves with time. */
  private rangeMs: number | null = null;
  private refreshTimer: ReturnType<typeof setTimeout> | undefined;
  private lastRefresh = 0;

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly source: DashboardDataSource,
    private readonly log: vscode.LogOutputChannel,
  ) {}

  /** Opens the dashboard, or brings the open one to the front. */
  async show(): Promise<void> {
    if (this.panel) {
      this.panel.reveal();
      return;
    }
    const panel = vscode.window.createWebviewPanel(VIEW_TYPE, 'Locus Latency', vscode.ViewColumn.Active, this.webviewOptions());
    await this.attach(panel);
  }

  /** Brings back the dashboard a window had open when it was closed or reloaded (its time range is the webview's own state). */
  registerRestore(): vscode.Disposable {
    return vscode.window.registerWebviewPanelSerializer(VIEW_TYPE, {
      deserializeWebviewPanel: async (panel) => {
        if (this.panel) return void panel.dispose(); // One dashboard per window.
        panel.webview.options = this.webviewOptions();
        await this.attach(panel);
      },
    });
  }

  private webviewOptions(): vscode.WebviewOptions {
    return { enableScripts: true, localResourceRoots: [this.assets] };
  }

  private get assets(): vscode.Uri {
    return vscode.Uri.joinPath(this.extensionUri, 'media', 'dashboard');
  }

  private async attach(panel: vscode.WebviewPanel): Promise<void> {
    this.panel = panel;
    panel.onDidDispose(() => {
      this.panel = undefined;
      clearTimeout(this.refreshTimer);
    });
    panel.webview.onDidReceiveMessage((message: WebviewMessage) => void this.onMessage(message));
    panel.onDidChangeViewState(({ webviewPanel }) => {
      if (webviewPanel.visible) this.requestRefresh();
    });
    const assets = this.assets;
    const template = new TextDecoder().decode(await vscode.workspace.fs.readFile(vscode.Uri.joinPath(assets, 'index.html')));
    panel.webview.html = renderDashboardHtml(template, {
      cspSource: panel.webview.cspSource,
      nonce: createNonce(),
      styleUri: panel.webview.asWebviewUri(vscode.Uri.joinPath(assets, 'dashboard.css')).toString(),
      scriptUri: panel.webview.asWebviewUri(vscode.Uri.joinPath(assets, 'dashboard.js')).toString(),
    });
  }

  /**
   * A request finished, or the server (re)started: refresh the open dashboard, throttled so fast typing does not
   * re-read the store each time.
   */
  requestRefresh(): void {
    if (!this.panel?.visible || this.refreshTimer !== undefined) return;
    const wait = Math.max(0, this.lastRefresh + REFRESH_INTERVAL_MS - Date.now());
    this.refreshTimer = setTimeout(() => {
      this.refreshTimer = undefined;
      void this.postSummary();
    }, wait);
  }

  dispose(): void {
    clearTimeout(this.refreshTimer);
    this.panel?.dispose();
  }

  private async onMessage(message: WebviewMessage): Promise<void> {
    this.rangeMs = typeof message.rangeMs === 'number' && Number.isFinite(message.rangeMs) && message.rangeMs > 0 ? message.rangeMs : null;
    if (message.type === 'export') await this.export(message.format === 'csv' ? 'csv' : 'json');
    else if (message.type === 'clear') await this.clear();
    else await this.postSummary();
  }

  private since(): number | null {
    return this.rangeMs === null ? null : Date.now() - this.rangeMs;
  }

  private async postSummary(): Promise<void> {
    const panel = this.panel;
    if (!panel) return;
    this.lastRefresh = Date.now();
    try {
      const summary = await this.source.summary(this.since());
      await panel.webview.postMessage({ type: 'summary', summary });
    } catch (error) {
      const message = `Locus could not read its latency records: ${failureMessage(error)}`;
      this.log.error(message);
      await panel.webview.postMessage({ type: 'error', message });
    }
  }

  private async export(format: TelemetryExportFormat): Promise<void> {
    try {
      const result = await this.source.export(format, this.since());
      const nothing = nothingToExport(result.records, this.rangeMs);
      if (nothing !== undefined) return void vscode.window.showInformationMessage(nothing);
      const stamp = new Date().toISOString().slice(0, 16).replace(/[-:]/g, '').replace('T', '-');
      const defaultFolder = vscode.workspace.workspaceFolders?.[0]?.uri ?? vscode.Uri.file(homedir());
      const target = await vscode.window.showSaveDialog({
        defaultUri: vscode.Uri.joinPath(defaultFolder, `locus-latency-${stamp}.${format}`),
        filters: format === 'csv' ? { CSV: ['csv'] } : { JSON: ['json'] },
        saveLabel: 'Export',
        title: exportTitle(result.records),
      });
      if (!target) return;
      await vscode.workspace.fs.writeFile(target, new TextEncoder().encode(result.content));
      void vscode.window.showInformationMessage(exported(result.records, target.fsPath));
    } catch (error) {
      this.log.error(`Latency export failed: ${describe(error)}`);
      void vscode.window.showErrorMessage(`Locus could not export latency records: ${describe(error)}. See the Output channel.`);
    }
  }

  private async clear(): Promise<void> {
    const nothing = await this.nothingToClear();
    if (nothing !== undefined) {
      void vscode.window.showInformationMessage(nothing);
      return this.postSummary();
    }
    const choice = await vscode.window.showWarningMessage(
      'Delete all Locus latency records on this machine?',
      { modal: true, detail: 'Export them first if you want to keep them. This cannot be undone.' },
      'Delete',
    );
    if (choice !== 'Delete') return;
    try {
      const { failedFiles } = await this.source.clear();
      if (failedFiles > 0) {
        void vscode.window.showErrorMessage(`Locus could not delete ${failedFiles === 1 ? 'one file' : `${failedFiles} files`} of its latency records: the Output channel says which and why.`);
      }
    } catch (error) {
      this.log.error(`Clearing latency records failed: ${describe(error)}`);
      void vscode.window.showErrorMessage(`Locus could not delete its latency records: ${describe(error)}. See the Output channel.`);
    }
    await this.postSummary();
  }

  /** Undefined when records are stored, or when the store could not be read (then deleting is still offered). */
  private async nothingToClear(): Promise<string | undefined> {
    try {
      return nothingToClear((await this.source.summary(null)).store);
    } catch {
      return undefined;
    }
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
