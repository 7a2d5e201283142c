const { useDb } = require('./db')

const db = useDb()

test('an unknown state is refused', async () => {
  await expect(db.query("insert into jobs (kind, state) values ('mail', 'lost')")).rejects.toThrow(/check constraint/)
})
