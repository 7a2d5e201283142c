/** Connection URLs: derive a database's URL from the server's, and print them without passwords. */

export function withDatabase(serverUrl: string, database: string): string {
  const u = new URL(serverUrl)
  u.pathname = '/' + encodeURIComponent(database)
  return u.toString()
}

/** The URL with any password replaced by `***`: the only form that may reach a log or an error. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url)
    if (u.password) u.password = '***'
    return u.toString()
  } catch {
    return url.replace(/(\/\/[^:/@]+:)[^@]*@/, '$1***@')
  }
}

/** Replaces every password-bearing URL, and the given secrets, inside free text (server errors, tool output). */
export function redactText(text: string, secrets: Array<string | undefined> = []): string {
  let out = text.replace(/(postgres(?:ql)?:\/\/[^:/@\s]+:)[^@\s]*@/g, '$1***@')
  for (const s of secrets) if (s && s.length >= 3) out = out.split(s).join('***')
  return out
}

export interface ConnectionParts {
  url: string
  host: string
  port: string
  user: string
  password: string
  database: string
}

export function connectionParts(url: string): ConnectionParts {
  const u = new URL(url)
  return {
    url,
    host: decodeURIComponent(u.hostname),
    port: u.port || '5432',
    user: decodeURIComponent(u.username),
    password: decodeURIComponent(u.password),
    database: decodeURIComponent(u.pathname.replace(/^\//, '')),
  }
}
