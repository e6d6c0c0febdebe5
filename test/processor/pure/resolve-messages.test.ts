// Pure: resolving a batch message by message, in queue order — the outcome is that of landing each message alone.
import { describe, expect, it } from 'vitest';
import { resolveMessages } from '../../../processor/schema/resolve-fields.ts';
import type { RegisteredColumn } from '../../../processor/schema/table-schema.ts';
import { fields, inOneBatch, oneByOne, people, type Message, type Outcome } from './resolve-messages-harness.ts';

describe('resolveMessages: each message is its own payload, in queue order', () => {
  it('the issue: msg1 [{"id":2,"NAME":"y"}] and msg2 [{"id":3,"name":"z"}] against {id, name} → NAME aliased to name in either order, no name_2', () => {
    const table = people.slice(0, 2);
    const msg1: Message = [
      ['id', 'bigint'],
      ['NAME', 'varchar'],
    ];
    const msg2: Message = [
      ['id', 'bigint'],
      ['name', 'varchar'],
    ];
    for (const order of [
      [msg1, msg2],
      [msg2, msg1],
    ]) {
      expect(inOneBatch(table, order)).toEqual({ newColumns: {}, aliases: { NAME: 'name (typo)' }, pastCap: [] });
    }
  });

  it('still follows the payload rules: a message that fills name itself gets NAME as its own column (full coverage)', () => {
    const table = people.slice(0, 2);
    expect(
      inOneBatch(table, [
        [
          ['id', 'bigint'],
          ['NAME', 'varchar'],
          ['name', 'varchar'],
        ],
      ]),
    ).toEqual({ newColumns: { NAME: 'varchar' }, aliases: {}, pastCap: [] });
  });

  const cases: Array<[string, typeof people, Message[], (Record<string, string> | 'down')?]> = [
    [
      'a typo next to a message that fills its column',
      people,
      [
        [
          ['id', 'bigint'],
          ['phnoe', 'varchar'],
        ],
        [
          ['id', 'bigint'],
          ['phone', 'varchar'],
          ['name', 'varchar'],
        ],
      ],
    ],
    [
      'full coverage next to a message with a typo',
      people,
      [
        [
          ['id', 'bigint'],
          ['name', 'varchar'],
          ['phone', 'varchar'],
          ['nmae', 'varchar'],
        ],
        [['nmae', 'varchar']],
      ],
    ],
    [
      'a field one message makes a column is a column for the next',
      people,
      [
        [
          ['id', 'bigint'],
          ['name', 'varchar'],
          ['phone', 'varchar'],
          ['city', 'varchar'],
        ],
        [
          ['id', 'bigint'],
          ['citty', 'varchar'],
        ],
      ],
    ],
    [
      'an alias one message makes applies to the next, even where it fills the column',
      people,
      [
        [['NAME', 'varchar']],
        [
          ['NAME', 'varchar'],
          ['name', 'varchar'],
        ],
      ],
    ],
    [
      "a new table: the first message makes the columns, the next message's typo lands in them",
      [],
      [
        [
          ['id', 'bigint'],
          ['phone', 'varchar'],
        ],
        [
          ['id', 'bigint'],
          ['phnoe', 'varchar'],
        ],
      ],
    ],
    [
      'more than 2 new fields go to the model, next to a message with 1',
      people,
      [
        [
          ['celular', 'varchar'],
          ['hobby', 'varchar'],
          ['shoe', 'bigint'],
        ],
        [
          ['id', 'bigint'],
          ['celular', 'varchar'],
        ],
      ],
    ],
    [
      'the model, valid for one message and not for another that fills the column',
      people,
      [
        [
          ['id', 'bigint'],
          ['phone', 'varchar'],
          ['celular', 'varchar'],
          ['hobby', 'varchar'],
          ['shoe', 'bigint'],
        ],
        [
          ['celular', 'varchar'],
          ['apelido', 'varchar'],
          ['x', 'bigint'],
        ],
      ],
      { celular: 'phone', apelido: 'name' },
    ],
    [
      'the model down: the dictionary decides per message',
      people,
      [
        [
          ['id', 'bigint'],
          ['phone', 'varchar'],
          ['celular', 'varchar'],
          ['hobby', 'varchar'],
          ['shoe', 'bigint'],
        ],
        [
          ['celular', 'varchar'],
          ['nombre', 'varchar'],
          ['x', 'bigint'],
        ],
      ],
      'down',
    ],
  ];

  it.each(cases)('%s: one batch lands as each message alone, in queue order (both orders)', (_name, table, messages, oracle) => {
    for (const order of [messages, [...messages].reverse()]) {
      expect(inOneBatch(table, order, oracle)).toEqual(oneByOne(table, order, oracle));
    }
  });

  it.each([
    ['NAME', 'varchar', 'name (typo)'],
    ['namee', 'varchar', 'name (typo)'],
    ['celular', 'varchar', 'phone (dictionary)'],
    ['hobby', 'varchar', 'its own column'],
  ] as const)('%s (%s), alone in its message → %s, whatever the other messages of the batch hold', (field, type, expected) => {
    const others: Message[] = [
      [
        ['id', 'bigint'],
        ['name', 'varchar'],
      ], // fills `name`
      [
        ['id', 'bigint'],
        ['name', 'varchar'],
        ['phone', 'varchar'],
      ], // every column present
      [
        ['id', 'bigint'],
        ['a_new', 'varchar'],
        ['b_new', 'bigint'],
        ['c_new', 'boolean'],
      ], // more than 2 new fields
      [
        ['name', 'varchar'],
        ['phone', 'varchar'],
      ], // fills the columns the field could go to
    ];
    const where = (plan: Outcome) => plan.aliases[field] ?? (plan.newColumns[field] !== undefined ? 'its own column' : 'nowhere');
    for (const other of others) {
      expect(
        where(
          inOneBatch(people, [
            [
              ['id', 'bigint'],
              [field, type],
            ],
            other,
          ]),
        ),
      ).toBe(expected);
      expect(
        where(
          inOneBatch(people, [
            other,
            [
              ['id', 'bigint'],
              [field, type],
            ],
          ]),
        ),
      ).toBe(expected);
    }
  });

  it("asks the model one question for the batch: every message's fields for it and the columns each left open (those an earlier message made included)", () => {
    const plan = resolveMessages({
      columns: people,
      aliases: new Map(),
      messages: [
        fields([
          ['id', 'bigint'],
          ['name', 'varchar'],
          ['celular', 'varchar'],
          ['hobby', 'varchar'],
          ['shoe', 'bigint'],
        ]),
        fields([
          ['phone', 'varchar'],
          ['apelido', 'varchar'],
          ['born_in', 'varchar'],
          ['x', 'boolean'],
        ]),
      ],
    });
    expect(plan.question.fields).toEqual(['celular', 'hobby', 'shoe', 'apelido', 'born_in', 'x']);
    // The first leaves phone open; the second name, and the columns the first made (shoe is bigint: nothing asked fits it).
    expect(plan.question.candidates.map((c) => c.logical).sort()).toEqual(['celular', 'hobby', 'name', 'phone']);
  });

  it('offers the model what each message alone would: a column another message just matched is still open for this one (phnoe, then ip)', () => {
    const contacts: RegisteredColumn[] = [
      { logical: 'id', physical: 'id', type: 'bigint' },
      { logical: 'phone', physical: 'phone', type: 'varchar' },
      { logical: 'city', physical: 'city', type: 'varchar' },
    ];
    const phnoe = fields([
      ['id', 'bigint'],
      ['phnoe', 'varchar'],
      ['city', 'varchar'],
    ]);
    const ip = fields([
      ['ip', 'varchar'],
      ['city', 'varchar'],
    ]);
    const alone = resolveMessages({ columns: contacts, aliases: new Map(), messages: [ip] }).question;
    expect(alone).toEqual({ fields: ['ip'], candidates: [expect.objectContaining({ logical: 'phone' })] });
    for (const messages of [
      [phnoe, ip],
      [ip, phnoe],
    ]) {
      const plan = resolveMessages({ columns: contacts, aliases: new Map(), messages });
      expect(plan.create).toEqual([{ field: 'phnoe', column: 'phone', decidedBy: 'typo', evidence: { distance: 2 } }]);
      expect(plan.question).toEqual(alone);
    }
  });

  it('at the cap, a later message finds no room left by an earlier one', () => {
    const many = Array.from({ length: 998 }, (_, i): RegisteredColumn => ({ logical: `f${String(i).padStart(4, '0')}`, physical: `f${i}`, type: 'varchar' }));
    const plan = resolveMessages({
      columns: many,
      aliases: new Map(),
      messages: [
        fields([
          ['zz_a', 'varchar'],
          ['zz_b', 'bigint'],
        ]),
        fields([['zz_c', 'varchar']]),
      ],
    });
    expect([...plan.newColumns.keys()]).toEqual(['zz_a', 'zz_b']);
    expect(plan.pastCap).toEqual(['zz_c']);
  });
});
