// `npm start`: the API on PORT against DATABASE_URL, as it runs outside the tests.
import { startApp } from './app.mjs'

const app = await startApp({ databaseUrl: process.env.DATABASE_URL, port: Number(process.env.PORT ?? 3000) })
console.log(`todos API on ${app.url}`)
for (const signal of ['SIGINT', 'SIGTERM']) process.once(signal, () => app.close().then(() => process.exit(0)))
