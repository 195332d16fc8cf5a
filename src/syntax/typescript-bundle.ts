// Entry point of dist/typescript.js: TypeScript's compiler, bundled and minified apart from
// the extension so that it is parsed only when the code-aware value first needs it.
// eslint-disable-next-line @typescript-eslint/no-require-imports
module.exports = require('typescript');
