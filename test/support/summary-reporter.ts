import type { Reporter, TestModule } from 'vitest/node';

/**
 * Prints the closing line CI reads: "N passed, M failed".
 * vitest's own summary is not parsed by CI, so this reporter counts test
 * cases itself; a file that fails to load counts as one failure.
 */
export default class SummaryReporter implements Reporter {
  onTestRunEnd(testModules: ReadonlyArray<TestModule>): void {
    let passed = 0;
    let failed = 0;
    for (const mod of testModules) {
      let casesInModule = 0;
      for (const test of mod.children.allTests()) {
        casesInModule++;
        const state = test.result().state;
        if (state === 'passed') passed++;
        else if (state === 'failed') failed++;
      }
      if (casesInModule === 0 || mod.state() === 'failed') {
        if (!mod.ok() && casesInModule === 0) failed++;
      }
    }
    process.stdout.write(`\n${passed} passed, ${failed} failed\n`);
  }
}
