// A generation's start constraints (GenerateRequest's requiredPrefix, forbiddenStarts and nonBlank) for a request that
// goes on from text an earlier one wrote under them: Explain's runs give way to completions, and the next run, whose
// prompt ends with the tokens so far, must keep what the first had not met yet. Word choices are not carried.
import type { GenerateRequest } from './engine';
import type { StartRequest } from './tokenHealing';

/** What RequiredPrefix's rule after healed whitespace keeps from coming next. */
const WHITESPACE_STARTS = [' ', '\t', '\n', '\r'];

/** The constraints left for the text that follows `written` (all the text generated so far). */
export function continuedStart(request: StartRequest, written: string): Pick<GenerateRequest, 'requiredPrefix' | 'forbiddenStarts' | 'nonBlank'> {
  const required = request.requiredPrefix ?? '';
  if (written.length < required.length) return { requiredPrefix: required.slice(written.length), forbiddenStarts: [...(request.forbiddenStarts ?? [])], nonBlank: request.nonBlank === true };
  const after = written.slice(required.length);
  const starts = (request.forbiddenStarts ?? []).filter((start) => start.length > after.length && start.startsWith(after)).map((start) => start.slice(after.length));
  // Healed whitespace written and nothing after it: the next character must not be whitespace.
  if (after === '' && /^\s*[ \t]$/.test(required)) starts.push(...WHITESPACE_STARTS);
  return { forbiddenStarts: starts, nonBlank: request.nonBlank === true && after.trim() === '' };
}
