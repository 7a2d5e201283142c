/**
 * The detached process behind dropInBackground: drops one finished run's clones, then exits. Prints
 * nothing (nobody reads it, and its job holds a password); ends by its deadline whatever the server does.
 */
import { DROP_JOB_ENV, DROPPER_DEADLINE_MS, type DropJob } from './background-drop.js'
import { dropClones } from './clones.js'

setTimeout(() => process.exit(1), DROPPER_DEADLINE_MS).unref()
const job = JSON.parse(process.env[DROP_JOB_ENV] ?? 'null') as DropJob | null
delete process.env[DROP_JOB_ENV]
if (job) dropClones(job.adminUrl, job.names, job.runId).then(() => process.exit(0), () => process.exit(1))
