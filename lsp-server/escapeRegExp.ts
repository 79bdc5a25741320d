// A name put into a regular expression as itself: a JavaScript identifier may hold `$`, which is an anchor there (a
// function named `$get` had its test calls never found).

export function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
