/**
 * globalSetup of the e2e project: every e2e run starts a results file of its own for the fidelity matrix,
 * stamped with the commit it runs on (test-support/matrix.ts), so the matrix shows this run and no older one.
 */
import { startMatrixRun } from '../../test-support/matrix.js'

export default function setup(): void {
  startMatrixRun()
}
