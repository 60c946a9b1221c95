import { describe, expect, test } from 'vitest';
import { plural } from '../src/words.js';

describe('plural', () => {
  test.each([
    [0, 'page', undefined, '0 pages'],
    [1, 'page', undefined, '1 page'],
    [2, 'exposed key', undefined, '2 exposed keys'],
    [1887, 'user', undefined, '1,887 users'],
    [1, 'property', 'properties', '1 property'],
    [3, 'property', 'properties', '3 properties'],
  ])('%i %s', (count, noun, many, expected) => {
    expect(plural(count, noun, many)).toBe(expected);
  });
});
