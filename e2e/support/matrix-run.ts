/**
 * globalSetup of the e2e project: every e2e run starts a results file of its own for the fidelity matrix,
 * stamped with the commit it runs on (e2e/support/matrix.mjs), so the matrix shows this run and no older one.
 */
import { startMatrixRun } from './matrix.mjs'

export default function setup(): void {
  startMatrixRun()
}
