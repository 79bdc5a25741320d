// What never reaches a prompt, whatever the settings say: secret-bearing file names and folders, and chunks
// whose content looks like a credential. Checked before anything is read into the index.

/** Folder names that hold credentials by convention; matched on every path segment. */
const SECRET_DIRS = new Set(['.aws', '.gcp', '.azure', '.kube', '.docker', '.ssh', '.gnupg', 'secrets', '.secrets', 'certs', 'keys', 'private']);

/** Base names (exact, lower case). */
const SECRET_NAMES = new Set([
  'id_rsa', 'id_dsa', 'id_ecdsa', 'id_ed25519', 'credentials', 'auth.json', '.npmrc', '.pypirc', '.netrc', '.htpasswd',
  'docker-compose.override.yml', 'docker-compose.override.yaml', 'secrets.json', 'secrets.yaml', 'secrets.yml',
]);

/** Extensions (lower case, with the dot). */
const SECRET_EXTENSIONS = new Set([
  '.env', '.key', '.pem', '.p12', '.pfx', '.crt', '.cer', '.der', '.jks', '.keystore', '.truststore', '.ppk', '.gpg',
  '.asc', '.secret', '.secrets', '.token', '.kdbx',
]);

/** True when the path names a file that conventionally holds secrets (`.env*`, keys, certificates, credentials). */
export function isSecretPath(relativePath: string): boolean {
  const segments = relativePath.toLowerCase().split('/');
  const base = segments[segments.length - 1] ?? '';
  if (segments.slice(0, -1).some((s) => SECRET_DIRS.has(s) || s === '.env')) return true;
  if (base === '.env' || base.startsWith('.env.') || base.endsWith('.env')) return true;
  if (SECRET_NAMES.has(base)) return true;
  const dot = base.lastIndexOf('.');
  return dot > 0 && SECRET_EXTENSIONS.has(base.slice(dot));
}

const SECRET_CONTENT: readonly RegExp[] = [
  /-----BEGIN [A-Z ]*PRIVATE KEY-----/,
  /\bAKIA[0-9A-Z]{16}\b/,
  /\b(?:ghp|gho|ghu|ghs|ghr)_[A-Za-z0-9]{36}\b/,
  /\bgithub_pat_[A-Za-z0-9_]{22,}\b/,
  /\bxox[baprs]-[A-Za-z0-9-]{10,}\b/,
  /\bsk-(?:proj-|ant-)?[A-Za-z0-9_-]{20,}\b/,
  /\beyJ[A-Za-z0-9_-]{10,}\.eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}\b/,
  /\b(?:api[_-]?key|secret|password|passwd|token)\b\s*[:=]\s*['"][^'"\s]{16,}['"]/i,
];

/** True when `text` contains something shaped like a credential (private key, cloud or chat token, JWT, hard-coded secret). */
export function containsSecret(text: string): boolean {
  return SECRET_CONTENT.some((re) => re.test(text));
}
