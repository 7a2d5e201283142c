import { Injectable } from '@nestjs/common'
import { InjectRepository } from '@nestjs/typeorm'
import { Repository } from 'typeorm'
import { User } from './user.entity'

@Injectable()
export class UsersService {
  constructor(@InjectRepository(User) private readonly users: Repository<User>) {}

  register(email: string, name: string): Promise<User> {
    return this.users.save(this.users.create({ email, name }))
  }

  findAll(): Promise<User[]> {
    return this.users.find({ order: { id: 'ASC' } })
  }
}
