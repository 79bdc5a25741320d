// The one typed view over the `locus.*` settings. The server validates what it receives; this side only reads.
import * as vscode from 'vscode';
import {
  completesLanguage,
  type CompletionTriggerSetting,
  type FolderSettingsInput,
  type LocusSettingsInput,
  type QuantizationSetting,
  type SpeculationSetting,
} from '../lsp-server/protocol';

export const SECTION = 'locus';

export class Config {
  /** `telemetryDir`: the extension's private storage folder for latency records (not a setting). */
  /** `indexCacheDir`: the extension's storage folder for the workspace index cache (not a setting). */
  /** `modelCacheDir`: the extension's storage folder for the copies 4-bit models load from (not a setting). */
  constructor(
    private readonly telemetryDir: string,
    private readonly indexCacheDir: string,
    private readonly modelCacheDir: string,
  ) {}

  private get settings(): vscode.WorkspaceConfiguration {
    return vscode.workspace.getConfiguration(SECTION);
  }

  /** Machine-scoped, so a workspace's settings.json cannot point it at another model (Workspace Trust). */
  get modelPath(): string {
    return this.settings.get<string>('model.path', '');
  }

  get draftPath(): string {
    return this.settings.get<string>('model.draftPath', '');
  }

  get quantization(): QuantizationSetting {
    return this.settings.get<QuantizationSetting>('model.quantization', 'auto');
  }

  get threads(): number {
    return this.settings.get<number>('model.threads', 0);
  }

  get maxNewTokens(): number | undefined {
    return this.settings.get<number>('completion.maxNewTokens');
  }

  get promptTokenBudget(): number | undefined {
    return this.settings.get<number>('completion.promptTokenBudget');
  }

  get speculation(): SpeculationSetting | undefined {
    return this.settings.get<SpeculationSetting>('completion.speculation');
  }

  get beamWidth(): number | undefined {
    return this.settings.get<number>('completion.beamWidth');
  }

  get languages(): Record<string, boolean> | undefined {
    return this.settings.get<Record<string, boolean>>('completion.languages');
  }

  get timeLimitMs(): number | undefined {
    return this.settings.get<number>('completion.timeLimitMs');
  }

  get trigger(): CompletionTriggerSetting | undefined {
    return this.settings.get<CompletionTriggerSetting>('completion.trigger');
  }

  /** As the server reads it: any value but `manual` (an invalid one included) means automatic. */
  get manualTrigger(): boolean {
    return this.trigger === 'manual';
  }

  /** As the server decides it (the shared rule in lsp-server/protocol.ts). */
  completesLanguage(languageId: string): boolean {
    return completesLanguage(this.languages ?? {}, languageId);
  }

  get telemetryEnabled(): boolean {
    return this.settings.get<boolean>('telemetry.enabled', true);
  }

  get efficiencyEnabled(): boolean | undefined {
    return this.settings.get<boolean>('efficiency.enabled');
  }

  get efficiencySamples(): number | undefined {
    return this.settings.get<number>('efficiency.samples');
  }

  /** Globs kept out of the workspace index and prompts: the window's, or with `folder` that folder's (resource scope). */
  exclude(folder?: vscode.Uri): string[] {
    return vscode.workspace.getConfiguration(SECTION, folder).get<string[]>('exclude', []);
  }

  /**
   * VS Code's `files.exclude` patterns that are on (a `when` condition counts as on: excluding more is the safe side):
   * the window's, or with `folder` that folder's.
   */
  filesExclude(folder?: vscode.Uri): string[] {
    const patterns = vscode.workspace.getConfiguration('files', folder).get<Record<string, unknown>>('exclude', {});
    return Object.entries(patterns)
      .filter(([, on]) => on !== false)
      .map(([glob]) => glob);
  }

  /**
   * Each workspace folder's own `exclude` and `files.exclude`: in a multi-root workspace a folder's settings may set
   * them for its files (single-folder windows send the same values as the window's).
   */
  private get folders(): Record<string, FolderSettingsInput> {
    const folders = vscode.workspace.workspaceFolders ?? [];
    return Object.fromEntries(folders.map((folder) => [folder.uri.toString(), { exclude: this.exclude(folder.uri), filesExclude: this.filesExclude(folder.uri) }]));
  }

  /** What the server receives in `initializationOptions` and `workspace/didChangeConfiguration`. */
  toServerSettings(): LocusSettingsInput {
    return {
      model: { path: this.modelPath, draftPath: this.draftPath, quantization: this.quantization, threads: this.threads, cacheDir: this.modelCacheDir },
      completion: {
        maxNewTokens: this.maxNewTokens,
        promptTokenBudget: this.promptTokenBudget,
        speculation: this.speculation,
        beamWidth: this.beamWidth,
        languages: this.languages,
        timeLimitMs: this.timeLimitMs,
        trigger: this.trigger,
      },
      efficiency: { enabled: this.efficiencyEnabled, samples: this.efficiencySamples },
      exclude: this.exclude(),
      folders: this.folders,
      context: { filesExclude: this.filesExclude(), cacheDir: this.indexCacheDir },
      telemetry: { enabled: this.telemetryEnabled, dir: this.telemetryDir },
    };
  }
}
