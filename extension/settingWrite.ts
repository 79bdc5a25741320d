// Where a command that switches a setting writes it, and what: pure (no vscode), unit-tested.

/** The levels of `WorkspaceConfiguration.inspect` that a window-scoped setting has. */
export interface InspectedSetting<T> {
  defaultValue?: T;
  globalValue?: T;
  workspaceValue?: T;
}

/**
 * The workspace's settings where they set it (they win over the user's), so the switch changes what is in effect; and
 * no key (undefined removes it) where the value would be in effect without one, so settings.json keeps only choices.
 */
export function settingWrite<T>(next: T, inspected: InspectedSetting<T> | undefined): { target: 'workspace' | 'user'; value: T | undefined } {
  if (inspected?.workspaceValue !== undefined) {
    const without = inspected.globalValue ?? inspected.defaultValue;
    return { target: 'workspace', value: next === without ? undefined : next };
  }
  return { target: 'user', value: next === inspected?.defaultValue ? undefined : next };
}
