/**
 * A generated section of the README: the text between `<!-- name:start -->` and `<!-- name:end -->`, which
 * a script renders from a record (the bench's, the stress run's, an e2e run's) and never a person types.
 * One place for the markers, the replacement, the write that happens only on a change, and the scripts'
 * `--name value` options.
 */
import { readFileSync, writeFileSync } from 'node:fs'

/** The section's markers and its two directions: read what is between them, write a new body there. */
export function readmeSection(name) {
  const START = `<!-- ${name}:start -->`
  const END = `<!-- ${name}:end -->`
  const markers = (readme) => {
    const a = readme.indexOf(START)
    const b = readme.indexOf(END)
    if (a === -1 || b === -1 || b < a) throw new Error(`README has no ${START} … ${END} section`)
    return [a, b]
  }
  return {
    START,
    END,
    /** Pure: the README text with the section's body replaced. */
    replace(readme, body) {
      const [a, b] = markers(readme)
      return `${readme.slice(0, a + START.length)}\n${body}\n${readme.slice(b)}`
    },
    /** Pure: the section's body as it stands. */
    between(readme) {
      const [a, b] = markers(readme)
      return readme.slice(a + START.length, b)
    },
    /** Writes `body` into the README file, only when that changes it; true when it did. */
    write(readmePath, body) {
      const readme = readFileSync(readmePath, 'utf8')
      const next = this.replace(readme, body)
      if (next !== readme) writeFileSync(readmePath, next)
      return next !== readme
    },
    /** Whether the README file's section is `body` already (--check). */
    isCurrent(readmePath, body) {
      const readme = readFileSync(readmePath, 'utf8')
      return this.replace(readme, body) === readme
    },
  }
}

/** `--name value` from argv, or `dflt`. */
export function option(argv, name, dflt) {
  const i = argv.indexOf(name)
  return i === -1 ? dflt : argv[i + 1]
}
