// How a model's context is shared between a completion's prompt and what it generates, in one place for the
// completion provider and the workspace-context prompt builder.

/**
 * The tokens a request may generate: the `maxNewTokens` setting, but never so many that the prompt would get less than
 * half the model's context (or its whole budget, where that is smaller). The setting allows up to 1,024, the shipped
 * model's whole context: taken as it is, it left the prompt nothing but its three FIM tokens, and completions came
 * from no code at all.
 */
export function newTokensFor(maxContext: number, promptTokenBudget: number, maxNewTokens: number): number {
  const promptFloor = Math.min(promptTokenBudget, Math.floor(maxContext / 2));
  return Math.max(1, Math.min(maxNewTokens, maxContext - promptFloor - 3));
}

/** The prompt's token budget (the three FIM tokens not included) beside `newTokensFor`'s generation. */
export function promptBudgetFor(maxContext: number, promptTokenBudget: number, maxNewTokens: number): number {
  return Math.max(0, Math.min(promptTokenBudget, maxContext - newTokensFor(maxContext, promptTokenBudget, maxNewTokens) - 3));
}
