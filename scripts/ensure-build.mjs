// `npm start` on a fresh clone: build the server and the web app when the build is missing or
// older than the sources, so `npm install && npm start` is all a newcomer needs.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { execSync } from 'node:child_process';

const newest = (dir) => {
  if (!existsSync(dir)) return 0;
  let t = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    t = Math.max(t, e.isDirectory() ? newest(p) : statSync(p).mtimeMs);
  }
  return t;
};
const stamp = (file) => (existsSync(file) ? statSync(file).mtimeMs : 0);

if (stamp('dist/src/cli.js') < newest('src')) {
  console.log('building the server…');
  execSync('npm run build:server', { stdio: 'inherit' });
}
if (existsSync('web/index.html') && stamp('dist/web/index.html') < Math.max(newest('web/src'), stamp('web/index.html'))) {
  console.log('building the web app…');
  execSync('npm run build:web', { stdio: 'inherit' });
}
