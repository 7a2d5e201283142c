import { Collection, Entity, OneToMany, PrimaryKey, Property } from '@mikro-orm/core'
import { Book } from './book.js'

// Types are given in the decorators: Vitest's transform (esbuild) emits no decorator metadata.
@Entity({ tableName: 'authors' })
export class Author {
  @PrimaryKey({ type: 'integer' })
  id!: number

  @Property({ type: 'string', unique: true })
  name!: string

  @OneToMany(() => Book, (book) => book.author)
  books = new Collection<Book>(this)

  constructor(name: string) {
    this.name = name
  }
}
