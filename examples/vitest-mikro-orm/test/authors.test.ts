import { expect, test } from 'vitest'
import { Author } from '../src/entities/author.js'
import { Book } from '../src/entities/book.js'
import { useOrm } from './orm.js'

const app = useOrm()

test('persists an author with books through the entity manager: ids start at 1 on this clone', async () => {
  const em = app.orm.em.fork()
  const author = new Author('Ursula')
  em.persist([author, new Book('The Dispossessed', author), new Book('The Lathe of Heaven', author)])
  await em.flush()
  const found = await app.orm.em.fork().findOneOrFail(Author, { name: 'Ursula' }, { populate: ['books'] })
  expect(found.id).toBe(1)
  expect(found.books.getItems().map((b) => b.title).sort()).toEqual(['The Dispossessed', 'The Lathe of Heaven'])
})
