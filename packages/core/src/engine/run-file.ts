/**
 * A live run's manifest on disk, rewritten as the run changes: pending until its first clones exist
 * (workers may already be waiting on the file), and naming each database before its copy starts, so a
 * run killed before the copy's marker is written leaves the next run's sweep proof that it is ours.
 */
import { writeManifest, type CreatingEntry, type Manifest } from '../runfile/manifest.js'
import { withDatabase } from '../url.js'

export class RunFile {
  private pending = true
  private readonly creating = new Map<string, CreatingEntry>()

  constructor(readonly path: string, readonly manifest: Manifest, private readonly adminUrl: string) {}

  write(): void {
    writeManifest(this.path, {
      ...this.manifest, ...(this.pending ? { pending: true } : {}), ...(this.creating.size ? { creating: [...this.creating.values()] } : {}),
    })
  }

  /** Before their copies start. */
  markCreating(names: string[]): void {
    for (const database of names) this.creating.set(database, { database, url: withDatabase(this.adminUrl, database) })
    this.write()
  }

  /** Once they are marked (or failed); `ready` ends the pending state: the manifest's clones are usable. */
  doneCreating(names: string[], opts: { ready?: boolean } = {}): void {
    for (const database of names) this.creating.delete(database)
    if (opts.ready) this.pending = false
    this.write()
  }
}
