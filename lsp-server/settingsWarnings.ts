// Which settings warnings are news. VS Code pushes Locus's whole section at every change of any of its settings, so
// an invalid value was warned about again at each unrelated change (five warnings at a telemetry toggle). A warning
// is said when it first holds, and again only after a push without it (the value fixed, then broken again).

export class SettingsWarnings {
  private said = new Set<string>();

  /** Of the warnings `validateSettings` gave for the settings just received, those not said for the previous ones. */
  fresh(warnings: readonly string[]): string[] {
    const news = warnings.filter((warning) => !this.said.has(warning));
    this.said = new Set(warnings);
    return news;
  }
}
