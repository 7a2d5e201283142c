// A small JSON API over PostgreSQL: the app under test. It knows nothing of workerdb: it is given a
// database URL, as in production.
import { createServer } from 'node:http'
import pg from 'pg'

/** Starts the API on `port` (0: any free one) against `databaseUrl`; resolves to its base URL and a close(). */
export async function startApp({ databaseUrl, port = 0 }) {
  const pool = new pg.Pool({ connectionString: databaseUrl, max: 4 })
  const server = createServer((req, res) => {
    handle(pool, req).then(
      ({ status, body }) => send(res, status, body),
      (err) => send(res, 500, { error: err.message }),
    )
  })
  await new Promise((resolve) => server.listen(port, '127.0.0.1', resolve))
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    close: async () => {
      await new Promise((resolve) => server.close(resolve))
      await pool.end()
    },
  }
}

async function handle(pool, req) {
  const url = new URL(req.url, 'http://localhost')
  if (req.method === 'GET' && url.pathname === '/todos') {
    const { rows } = await pool.query('select id, title, done from todos order by id')
    return { status: 200, body: rows }
  }
  if (req.method === 'POST' && url.pathname === '/todos') {
    const { title } = await readJson(req)
    if (typeof title !== 'string' || title === '') return { status: 400, body: { error: 'title is required' } }
    const { rows: [todo] } = await pool.query('insert into todos (title) values ($1) returning id, title, done', [title])
    return { status: 201, body: todo }
  }
  const done = /^\/todos\/(\d+)\/done$/.exec(url.pathname)
  if (req.method === 'POST' && done) {
    const { rows: [todo] } = await pool.query('update todos set done = true where id = $1 returning id, title, done', [Number(done[1])])
    return todo ? { status: 200, body: todo } : { status: 404, body: { error: 'no such todo' } }
  }
  return { status: 404, body: { error: 'not found' } }
}

async function readJson(req) {
  let text = ''
  for await (const chunk of req) text += chunk
  try {
    return JSON.parse(text || '{}')
  } catch {
    return {}
  }
}

function send(res, status, body) {
  res.writeHead(status, { 'content-type': 'application/json' })
  res.end(JSON.stringify(body))
}
