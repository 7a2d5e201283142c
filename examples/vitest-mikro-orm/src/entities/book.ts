import { Entity, ManyToOne, PrimaryKey, Property } from '@mikro-orm/core'
import { Author } from './author.js'

@Entity({ tableName: 'books' })
export class Book {
  @PrimaryKey({ type: 'integer' })
  id!: number

  @Property({ type: 'string' })
  title!: string

  @ManyToOne(() => Author)
  author!: Author

  constructor(title: string, author: Author) {
    this.title = title
    this.author = author
  }
}
