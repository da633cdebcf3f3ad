/**
 * A request field's name as the runtime's errors give it (`viewer.profile.age`, `queries[1].k`):
 * shared by the server's validation and the client's own checks, which name a field the same way.
 */
export const fieldName = (parent: string, key: string | number): string =>
  typeof key === "number" ? `${parent}[${key}]` : parent ? `${parent}.${key}` : key;
