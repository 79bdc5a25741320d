// How a model's context is shared between a completion's prompt and what it generates, in one place for the
// completion provider and the workspace-context prompt builder.

/** The FIM tokens every completion prompt carries beside its prefix and suffix. */
const FIM_MARKERS = 3;

/**
 * The tokens a request may generate: the `maxNewTokens` setting, but never so many that the prompt would get less than
 * half the model's context (or its whole budget, where that is smaller). The setting allows up to 1,024, the shipped
 * model's whole context: taken as it is, it left the prompt nothing but its three FIM tokens, and completions came
 * from no code at all.
 */
export function newTokensFor(maxContext: number, promptTokenBudget: number, maxNewTokens: number): number {
  const promptFloor = Math.min(promptTokenBudget, Math.floor(maxContext / 2));
  return Math.max(1, Math.min(maxNewTokens, maxContext - promptFloor - FIM_MARKERS));
}

/**
 * The prompt's token budget beside `newTokensFor`'s generation, `markers` tokens of the context left for the FIM
 * tokens (0 for a builder whose budget counts them itself).
 */
export function promptBudgetFor(maxContext: number, promptTokenBudget: number, maxNewTokens: number, markers = FIM_MARKERS): number {
  return Math.max(0, Math.min(promptTokenBudget, maxContext - newTokensFor(maxContext, promptTokenBudget, maxNewTokens) - markers));
}
