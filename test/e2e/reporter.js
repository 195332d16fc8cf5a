// The spec reporter plus the closing line the e2e runner and CI read: "e2e: N passed, N failed".
// eslint-disable-next-line @typescript-eslint/no-require-imports -- mocha loads reporters as CommonJS
const Mocha = require('mocha');

class E2eSummary extends Mocha.reporters.Spec {
  constructor(runner, options) {
    super(runner, options);
    runner.once('end', () => {
      const s = this.stats;
      console.log(`e2e: ${s.passes} passed, ${s.failures} failed${s.pending ? `, ${s.pending} skipped` : ''}`);
    });
  }
}
module.exports = E2eSummary;
