/**
 * The detached process behind dropInBackground: drops one finished run's clones, makes the spares it did
 * not finish, then exits. Prints nothing (nobody reads it, and its job holds a password); ends by its
 * deadline whatever the server does. While it copies, a manifest of its own names the copy under way, so
 * that if it dies between CREATE DATABASE and the marker, the next run's sweep drops that copy.
 */
import { DROP_JOB_ENV, DROPPER_DEADLINE_MS, type DropJob } from './background-drop.js'
import { dropClones } from '../engine/clones.js'
import { baseManifest, manifestPathFor, removeManifest, writeManifest, type Manifest } from '../runfile/manifest.js'
import { newRunId } from '../catalog/names.js'
import { withDatabase } from '../url.js'
import { makeSpares } from '../engine/spares.js'

setTimeout(() => process.exit(1), DROPPER_DEADLINE_MS).unref()
const job = JSON.parse(process.env[DROP_JOB_ENV] ?? 'null') as DropJob | null
delete process.env[DROP_JOB_ENV]

async function finish(job: DropJob): Promise<void> {
  await dropClones(job.adminUrl, job.names, job.runId)
  if (!job.spares) return
  const path = manifestPathFor(newRunId())
  const manifest: Manifest = {
    ...baseManifest({ runId: job.runId, framework: 'workerdb background', plan: { count: 0, reason: 'spares for the next run' }, env: {}, workerIdVar: '' }),
    creating: [],
  }
  try {
    await makeSpares({
      ...job.spares,
      markCreating: (name, on) => {
        manifest.creating = on ? [{ database: name, url: withDatabase(job.adminUrl, name) }] : []
        writeManifest(path, manifest)
      },
    }).done()
  } finally {
    removeManifest(path)
  }
}

if (job) finish(job).then(() => process.exit(0), () => process.exit(1))
