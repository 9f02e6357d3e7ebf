/** The platform's field types (GET /api/field-types), asked once per page: they change only with the server. */
import { useEffect, useState } from 'react';
import { builderApi, type FieldTypeInfo } from '../api';

let once: Promise<FieldTypeInfo[]> | null = null;

function load(): Promise<FieldTypeInfo[]> {
  once ??= builderApi.fieldTypes().catch((err: unknown) => {
    once = null; // a failure is asked again next time
    throw err;
  });
  return once;
}

/** For tests: forget the list, so the next render asks the (mocked) server again. */
export function forgetFieldTypes(): void {
  once = null;
}

export function useFieldTypes(): { types: FieldTypeInfo[] | undefined; error: unknown } {
  const [types, setTypes] = useState<FieldTypeInfo[] | undefined>(undefined);
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    let live = true;
    load().then((list) => live && setTypes(list)).catch((err: unknown) => live && setError(err));
    return () => { live = false; };
  }, []);
  return { types, error };
}
