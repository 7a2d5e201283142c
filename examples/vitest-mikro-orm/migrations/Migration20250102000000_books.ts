import { Migration } from '@mikro-orm/migrations'

export class Migration20250102000000_books extends Migration {
  override async up(): Promise<void> {
    this.addSql('create table "books" ("id" serial primary key, "title" varchar(255) not null, "author_id" int not null references "authors" ("id"));')
  }

  override async down(): Promise<void> {
    this.addSql('drop table "books";')
  }
}
