import assert from 'node:assert/strict';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { workspaceFolderFor } from '../../cli/workspaceFolder';

describe('cli workspace folder', () => {
  const project = path.resolve('/home/me/project');

  it('is the current directory when it holds the file, at any depth', () => {
    assert.equal(workspaceFolderFor(path.join(project, 'src', 'app.ts'), project), project);
    assert.equal(workspaceFolderFor(path.join(project, 'app.ts'), project), project);
    // A name that starts with two dots is inside.
    assert.equal(workspaceFolderFor(path.join(project, '..hidden', 'a.py'), project), project);
  });

  it("is the file's folder when the current directory does not hold it", () => {
    assert.equal(workspaceFolderFor(path.resolve('/tmp/x/a.py'), project), path.resolve('/tmp/x'));
    assert.equal(workspaceFolderFor(path.resolve('/home/me/project-two/a.py'), project), path.resolve('/home/me/project-two'));
  });
});
