/**
 * A streaming record checker: record bytes in chunks of any size in, the record's
 * `type` and `links` out. Pure (no I/O). gc and fsck use it for records too large
 * to read whole (a scenario of 430,000 invocations is a 69 MB record); smaller ones
 * go through `decodeRecord`.
 *
 * It accepts exactly what `decodeRecord` accepts — UTF-8 JSON (RFC 8259) whose
 * value is an object with a non-empty string `type` and, if present, `links` an
 * array of object ids; a repeated key counts by its last value, as in `JSON.parse`
 * — and checks it byte by byte, without building the value. Memory: the nesting
 * stack and the few strings it keeps (top-level keys, `type`, each link).
 *
 * @module
 */
import { InvalidObject, type StoreError, storeError } from "./errors.ts";
import { isObjectId, type ObjectId } from "./object_id.ts";

// What the scanner expects next.
const VALUE = 0; // any value (top level, after ":" or after "," in an array)
const VALUE_OR_CLOSE = 1; // after "["
const KEY_OR_CLOSE = 2; // after "{"
const KEY = 3; // after "," in an object
const COLON = 4;
const AFTER_VALUE = 5; // "," or a close (or the end, at the top level)
const STRING = 6;
const ESCAPE = 7; // after "\" in a string
const HEX = 8; // inside \uXXXX
const UTF8 = 9; // inside a multi-byte character
const NUMBER = 10;
const LITERAL = 11; // inside true / false / null
const DONE = 12;

// What the string being read is for.
const PLAIN = 0;
const TOP_KEY = 1;
const TYPE_VALUE = 2;
const LINK = 3;

// Number grammar positions: after "-", after a leading "0", in the integer digits,
// after ".", in the fraction, after "e", after the exponent sign, in the exponent.
const N_MINUS = 0, N_ZERO = 1, N_INT = 2, N_DOT = 3, N_FRAC = 4, N_E = 5, N_SIGN = 6, N_EXP = 7;

const OBJECT = 0;
const ARRAY = 1;
const LITERALS: Record<number, Uint8Array> = {
  0x74: new TextEncoder().encode("true"),
  0x66: new TextEncoder().encode("false"),
  0x6e: new TextEncoder().encode("null"),
};
const isSpace = (b: number) => b === 0x20 || b === 0x0a || b === 0x0d || b === 0x09;
const isDigit = (b: number) => b >= 0x30 && b <= 0x39;
const isHex = (b: number) => isDigit(b) || (b >= 0x41 && b <= 0x46) || (b >= 0x61 && b <= 0x66);
// A kept string longer than this (as written, escapes included) is neither a key the
// scanner looks for nor an object id (64 characters, at most 6 bytes each escaped).
const KEEP_LIMIT = 400;
const decoder = new TextDecoder();

/** The parts of a record gc and fsck need. */
export interface ScannedRecord {
  readonly type: string;
  readonly links: readonly ObjectId[];
}

/**
 * Checks a record pushed in chunks. `push` throws a `StoreError` (`InvalidObject`)
 * at the first byte that cannot be JSON; `end` throws when the JSON is incomplete
 * or not a record, and otherwise returns its `type` and `links`.
 *
 * @example
 * ```ts
 * import { RecordScanner } from "./record_scanner.ts"
 *
 * const scanner = new RecordScanner("(example)")
 * scanner.push(new TextEncoder().encode('{"links":[],"ty'))
 * scanner.push(new TextEncoder().encode('pe":"run"}'))
 * scanner.end() // { type: "run", links: [] }
 * ```
 */
export class RecordScanner {
  readonly #id: string;
  #offset = 0;
  #state = VALUE;
  #stack: number[] = [];
  #topIsObject: boolean | undefined;
  // The string being read.
  #role = PLAIN;
  #kept: number[] = [];
  #hexLeft = 0;
  // The multi-byte character being read: continuation bytes left, and the range the
  // next one must fall in (narrower after E0, ED, F0, F4).
  #utf8Left = 0;
  #utf8Low = 0x80;
  #utf8High = 0xbf;
  #number = N_INT;
  #literal: Uint8Array = new Uint8Array();
  #literalAt = 0;
  // The top-level key whose value is being read, and what has been learned.
  #key: string | undefined;
  #type: string | undefined;
  #typeProblem: string | undefined = 'a record needs a non-empty string "type" field';
  #links: ObjectId[] | undefined;
  #linksProblem: string | undefined;
  #inLinks = false;
  // The string being read is an object key.
  #afterKey = false;

  constructor(id: string) {
    this.#id = id;
  }

  #invalid(detail: string): StoreError {
    return storeError(new InvalidObject({ id: this.#id, detail: `not a record: ${detail}` }));
  }

  #unexpected(b: number, at: number): StoreError {
    return this.#invalid(`unexpected byte 0x${b.toString(16).padStart(2, "0")} at byte ${at}`);
  }

  // A value starts with byte `b`: note what it means for the fields looked for.
  #beginValue(b: number): void {
    const depth = this.#stack.length;
    if (depth === 0) this.#topIsObject = b === 0x7b;
    if (depth === 1 && this.#stack[0] === OBJECT) {
      if (this.#key === "type") {
        this.#type = undefined;
        this.#typeProblem = b === 0x22
          ? undefined
          : 'a record needs a non-empty string "type" field';
        if (b === 0x22) this.#role = TYPE_VALUE;
      } else if (this.#key === "links") {
        this.#links = b === 0x5b ? [] : undefined;
        this.#linksProblem = b === 0x5b ? undefined : '"links" must be an array of object ids';
        this.#inLinks = b === 0x5b;
      }
    } else if (depth === 2 && this.#inLinks) {
      if (b === 0x22) this.#role = LINK;
      else this.#linksProblem = '"links" must be an array of object ids';
    }
  }

  // The string just read ends: use it if it is one of the kept ones.
  #endString(): void {
    const role = this.#role;
    this.#role = PLAIN;
    if (role === PLAIN) return;
    const text = this.#kept.length > KEEP_LIMIT
      ? undefined
      : JSON.parse(`"${decoder.decode(new Uint8Array(this.#kept))}"`) as string;
    this.#kept = [];
    if (role === TOP_KEY) this.#key = text ?? "";
    else if (role === TYPE_VALUE) {
      this.#type = text ?? "(long)";
      if (text === "") this.#typeProblem = 'a record needs a non-empty string "type" field';
    } else if (text === undefined || !isObjectId(text)) {
      this.#linksProblem = '"links" must be an array of object ids';
    } else this.#links?.push(text);
  }

  #close(b: number, at: number): void {
    const top = this.#stack.pop();
    if (top !== (b === 0x7d ? OBJECT : ARRAY)) throw this.#unexpected(b, at);
    if (this.#stack.length === 1 && this.#inLinks) this.#inLinks = false;
    this.#state = this.#stack.length === 0 ? DONE : AFTER_VALUE;
  }

  /** Checks the bytes of `chunk`; the caller may reuse `chunk` afterwards. */
  push(chunk: Uint8Array): void {
    const n = chunk.length;
    let i = 0;
    while (i < n) {
      const b = chunk[i]!;
      const at = this.#offset + i;
      switch (this.#state) {
        case STRING: {
          // The common case, plain ASCII, in one tight loop.
          let j = i;
          while (j < n) {
            const c = chunk[j]!;
            if (c === 0x22 || c === 0x5c || c < 0x20 || c >= 0x80) break;
            j++;
          }
          if (this.#role !== PLAIN) {
            for (let k = i; k < j && this.#kept.length <= KEEP_LIMIT; k++) {
              this.#kept.push(chunk[k]!);
            }
          }
          i = j;
          if (j === n) continue;
          const c = chunk[j]!;
          i++;
          if (c === 0x22) {
            this.#endString();
            if (this.#afterKey) {
              this.#afterKey = false;
              this.#state = COLON;
            } else this.#state = this.#stack.length === 0 ? DONE : AFTER_VALUE;
          } else if (c < 0x20) {
            throw this.#invalid(`a control character in a string at byte ${this.#offset + j}`);
          } else {
            this.#keep(c);
            if (c === 0x5c) this.#state = ESCAPE;
            else this.#startUtf8(c, this.#offset + j);
          }
          continue;
        }
        case ESCAPE:
          this.#keep(b);
          if (b === 0x75) {
            this.#state = HEX;
            this.#hexLeft = 4;
          } else if (
            b === 0x22 || b === 0x5c || b === 0x2f || b === 0x62 || b === 0x66 || b === 0x6e ||
            b === 0x72 || b === 0x74
          ) this.#state = STRING;
          else throw this.#invalid(`a bad escape in a string at byte ${at}`);
          i++;
          continue;
        case HEX:
          if (!isHex(b)) throw this.#invalid(`a bad \\u escape in a string at byte ${at}`);
          this.#keep(b);
          if (--this.#hexLeft === 0) this.#state = STRING;
          i++;
          continue;
        case UTF8:
          if (b < this.#utf8Low || b > this.#utf8High) {
            throw this.#invalid(`bytes that are not UTF-8 at byte ${at}`);
          }
          this.#keep(b);
          this.#utf8Low = 0x80;
          this.#utf8High = 0xbf;
          if (--this.#utf8Left === 0) this.#state = STRING;
          i++;
          continue;
        case NUMBER:
          if (this.#stepNumber(b)) {
            i++;
            continue;
          }
          // The byte ends the number; it is read again as what follows a value.
          if (!this.#numberComplete()) throw this.#unexpected(b, at);
          this.#state = this.#stack.length === 0 ? DONE : AFTER_VALUE;
          continue;
        case LITERAL:
          if (b !== this.#literal[this.#literalAt]) throw this.#unexpected(b, at);
          if (++this.#literalAt === this.#literal.length) {
            this.#state = this.#stack.length === 0 ? DONE : AFTER_VALUE;
          }
          i++;
          continue;
      }
      i++;
      if (isSpace(b)) continue;
      switch (this.#state) {
        case VALUE:
        case VALUE_OR_CLOSE:
          if (b === 0x5d && this.#state === VALUE_OR_CLOSE) {
            this.#close(b, at);
            break;
          }
          this.#beginValue(b);
          if (b === 0x7b) {
            this.#stack.push(OBJECT);
            this.#state = KEY_OR_CLOSE;
          } else if (b === 0x5b) {
            this.#stack.push(ARRAY);
            this.#state = VALUE_OR_CLOSE;
          } else if (b === 0x22) this.#state = STRING;
          else if (b === 0x2d || isDigit(b)) {
            this.#state = NUMBER;
            this.#number = b === 0x2d ? N_MINUS : b === 0x30 ? N_ZERO : N_INT;
          } else if (LITERALS[b]) {
            this.#state = LITERAL;
            this.#literal = LITERALS[b]!;
            this.#literalAt = 1;
          } else throw this.#unexpected(b, at);
          break;
        case KEY_OR_CLOSE:
        case KEY:
          if (b === 0x7d && this.#state === KEY_OR_CLOSE) {
            this.#close(b, at);
            break;
          }
          if (b !== 0x22) throw this.#unexpected(b, at);
          if (this.#stack.length === 1) this.#role = TOP_KEY;
          this.#afterKey = true;
          this.#state = STRING;
          break;
        case COLON:
          if (b !== 0x3a) throw this.#unexpected(b, at);
          this.#state = VALUE;
          break;
        case AFTER_VALUE:
          if (b === 0x2c) {
            this.#state = this.#stack[this.#stack.length - 1] === OBJECT ? KEY : VALUE;
          } else if (b === 0x7d || b === 0x5d) this.#close(b, at);
          else throw this.#unexpected(b, at);
          break;
        case DONE:
          throw this.#unexpected(b, at);
      }
    }
    this.#offset += n;
  }

  #keep(b: number): void {
    if (this.#role !== PLAIN && this.#kept.length <= KEEP_LIMIT) this.#kept.push(b);
  }

  #startUtf8(b: number, at: number): void {
    this.#utf8Low = 0x80;
    this.#utf8High = 0xbf;
    if (b >= 0xc2 && b <= 0xdf) this.#utf8Left = 1;
    else if (b >= 0xe0 && b <= 0xef) {
      this.#utf8Left = 2;
      if (b === 0xe0) this.#utf8Low = 0xa0;
      if (b === 0xed) this.#utf8High = 0x9f;
    } else if (b >= 0xf0 && b <= 0xf4) {
      this.#utf8Left = 3;
      if (b === 0xf0) this.#utf8Low = 0x90;
      if (b === 0xf4) this.#utf8High = 0x8f;
    } else throw this.#invalid(`bytes that are not UTF-8 at byte ${at}`);
    this.#state = UTF8;
  }

  // Advances the number grammar by byte `b`; false when `b` cannot continue it.
  #stepNumber(b: number): boolean {
    const digit = isDigit(b);
    switch (this.#number) {
      case N_MINUS:
        if (!digit) return false;
        this.#number = b === 0x30 ? N_ZERO : N_INT;
        return true;
      case N_ZERO:
      case N_INT:
        if (digit && this.#number === N_INT) return true;
        if (b === 0x2e) this.#number = N_DOT;
        else if (b === 0x65 || b === 0x45) this.#number = N_E;
        else return false;
        return true;
      case N_DOT:
        if (!digit) return false;
        this.#number = N_FRAC;
        return true;
      case N_FRAC:
        if (digit) return true;
        if (b !== 0x65 && b !== 0x45) return false;
        this.#number = N_E;
        return true;
      case N_E:
        if (b === 0x2b || b === 0x2d) this.#number = N_SIGN;
        else if (digit) this.#number = N_EXP;
        else return false;
        return true;
      case N_SIGN:
        if (!digit) return false;
        this.#number = N_EXP;
        return true;
      default:
        return digit;
    }
  }

  #numberComplete(): boolean {
    const at = this.#number;
    return at === N_ZERO || at === N_INT || at === N_FRAC || at === N_EXP;
  }

  /** Checks that the JSON is complete and a record; returns its `type` and `links`. */
  end(): ScannedRecord {
    if (this.#state === NUMBER && this.#stack.length === 0 && this.#numberComplete()) {
      this.#state = DONE;
    }
    if (this.#state !== DONE) {
      throw this.#invalid(`the JSON ends early (at byte ${this.#offset})`);
    }
    if (!this.#topIsObject) throw this.#invalid("a record must be a JSON object");
    if (this.#typeProblem !== undefined) throw this.#invalid(this.#typeProblem);
    if (this.#linksProblem !== undefined) throw this.#invalid(this.#linksProblem);
    return { type: this.#type!, links: this.#links ?? [] };
  }
}
