import { cleanup } from '@testing-library/react'
import { afterEach } from 'vitest'
import { setToken } from '@/lib/token'

// Vitest runs without globals, so Testing Library cannot register its own cleanup.
afterEach(() => {
  cleanup()
})

afterEach(() => {
  setToken(null)
})
