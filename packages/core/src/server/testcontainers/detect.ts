/**
 * Is a container runtime there? Decided without connecting: `server: 'auto'` tries testcontainers only when
 * one looks available, and an explicit request fails with a clear message instead of testcontainers' own.
 */
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { redactUserinfo } from '../../url.js'

export interface RuntimeDetection {
  found: boolean
  /** What was found, e.g. "/var/run/docker.sock" or "DOCKER_HOST=tcp://docker:2375". */
  via?: string
  /**
   * Set when the runtime is one testcontainers does not look for by itself (Podman's sockets): the
   * DOCKER_HOST value that points it there.
   */
  dockerHost?: string
  /** Everything looked at, in order, up to and including the hit: for error messages and `doctor`. */
  checked: string[]
}

export interface DetectOptions {
  platform?: NodeJS.Platform
  uid?: number
  /** Reads a small text file, or returns undefined when it can't. */
  read?: (file: string) => string | undefined
}

/**
 * Pure: whether a container runtime looks available, from the environment and a few well-known sockets.
 * Cheap on purpose (no connection is made): it decides whether `server: 'auto'` tries testcontainers, and
 * lets an explicit request fail with a clear message instead of testcontainers' generic one. The places
 * mirror testcontainers' own strategies, plus Podman's sockets, which it only finds through DOCKER_HOST.
 */
export function detectContainerRuntime(
  env: NodeJS.ProcessEnv,
  exists: (file: string) => boolean,
  homedir: string,
  opts: DetectOptions = {},
): RuntimeDetection {
  const platform = opts.platform ?? process.platform
  const checked: string[] = []
  const hit = (via: string, dockerHost?: string): RuntimeDetection => ({ found: true, via, checked, ...(dockerHost ? { dockerHost } : {}) })

  for (const name of ['DOCKER_HOST', 'TESTCONTAINERS_HOST_OVERRIDE', 'TESTCONTAINERS_DOCKER_SOCKET_OVERRIDE']) {
    checked.push(`$${name}`)
    if (env[name]) return hit(`${name}=${redactUserinfo(env[name]!)}`)
  }

  const props = path.join(homedir, '.testcontainers.properties')
  checked.push(`${props} (docker.host, tc.host)`)
  if (exists(props)) {
    const text = opts.read?.(props) ?? ''
    const m = /^[ \t]*(docker\.host|tc\.host)[ \t]*[=:][ \t]*(\S[^\r\n]*?)[ \t]*$/m.exec(text)
    if (m) return hit(`${m[1]}=${redactUserinfo(m[2]!)} in ${props}`)
  }

  if (platform === 'win32') {
    const pipe = '//./pipe/docker_engine'
    checked.push(pipe)
    return exists(pipe) ? hit(pipe) : { found: false, checked }
  }

  const xdg = env.XDG_RUNTIME_DIR
  const runUser = opts.uid !== undefined ? path.posix.join('/run/user', String(opts.uid)) : undefined
  const dockerSockets = [
    '/var/run/docker.sock',
    xdg && path.posix.join(xdg, 'docker.sock'),
    path.join(homedir, '.docker', 'run', 'docker.sock'),
    path.join(homedir, '.docker', 'desktop', 'docker.sock'),
    runUser && path.posix.join(runUser, 'docker.sock'),
  ]
  for (const sock of dockerSockets) {
    if (!sock || checked.includes(sock)) continue
    checked.push(sock)
    if (exists(sock)) return hit(sock)
  }
  const podmanSockets = [
    xdg && path.posix.join(xdg, 'podman', 'podman.sock'),
    runUser && path.posix.join(runUser, 'podman', 'podman.sock'),
    '/run/podman/podman.sock',
  ]
  for (const sock of podmanSockets) {
    if (!sock || checked.includes(sock)) continue
    checked.push(sock)
    if (exists(sock)) return hit(sock, `unix://${sock}`)
  }
  return { found: false, checked }
}

/** detectContainerRuntime with this machine's environment and file system. */
export function detectLocalRuntime(env: NodeJS.ProcessEnv = process.env): RuntimeDetection {
  return detectContainerRuntime(env, (f) => fs.existsSync(f), os.homedir(), {
    uid: process.getuid?.(),
    read: (f) => {
      try {
        return fs.readFileSync(f, 'utf8')
      } catch {
        return undefined
      }
    },
  })
}
