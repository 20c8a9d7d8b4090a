/**
 * An ordered set (a treap with subtree sizes): insert, delete, rank and
 * select in O(log n), ordered walks from any point. The free-agent index of
 * each department and the queues are kept in these, so a decision reads the
 * first suitable agent instead of scanning every member.
 *
 * The comparator must be a total order (ties broken by a unique id) and the
 * fields it reads must not change while an item is inside.
 */
interface Node<T> {
  item: T;
  pri: number;
  size: number;
  left: Node<T> | null;
  right: Node<T> | null;
}

const size = <T>(n: Node<T> | null): number => (n === null ? 0 : n.size);

export class OrderedSet<T> {
  #root: Node<T> | null = null;
  // Heap priorities only balance the tree; a fixed xorshift keeps runs reproducible.
  #seed = 0x2545f491;

  constructor(private readonly cmp: (a: T, b: T) => number) {}

  get size(): number {
    return size(this.#root);
  }

  insert(item: T): void {
    const [l, r] = this.#split(this.#root, item, false);
    const node: Node<T> = { item, pri: this.#nextPri(), size: 1, left: null, right: null };
    this.#root = this.#merge(this.#merge(l, node), r);
  }

  /** Removes the item equal to `item`; returns whether it was present. */
  delete(item: T): boolean {
    const [l, rest] = this.#split(this.#root, item, false);
    const [mid, r] = this.#split(rest, item, true);
    this.#root = this.#merge(l, r);
    return mid !== null;
  }

  has(item: T): boolean {
    let n = this.#root;
    while (n) {
      const c = this.cmp(item, n.item);
      if (c === 0) return true;
      n = c < 0 ? n.left : n.right;
    }
    return false;
  }

  first(): T | undefined {
    let n = this.#root;
    if (!n) return undefined;
    while (n.left) n = n.left;
    return n.item;
  }

  /** Number of items ordered before `item`. */
  rank(item: T): number {
    let n = this.#root;
    let r = 0;
    while (n) {
      if (this.cmp(n.item, item) < 0) {
        r += size(n.left) + 1;
        n = n.right;
      } else {
        n = n.left;
      }
    }
    return r;
  }

  /** The item at 0-based position `k`. */
  at(k: number): T | undefined {
    let n = this.#root;
    let i = k;
    while (n) {
      const ls = size(n.left);
      if (i < ls) n = n.left;
      else if (i === ls) return n.item;
      else {
        i -= ls + 1;
        n = n.right;
      }
    }
    return undefined;
  }

  /** The first item ordered strictly after `item` (which need not be in the set). */
  after(item: T): T | undefined {
    let n = this.#root;
    let best: T | undefined;
    while (n) {
      if (this.cmp(n.item, item) > 0) {
        best = n.item;
        n = n.left;
      } else {
        n = n.right;
      }
    }
    return best;
  }

  /**
   * Visits items in order, from the first one after `after` (or the first of
   * all), until `visit` returns false. Costs O(log n + items visited).
   */
  walk(visit: (item: T) => boolean | undefined, after?: T): void {
    const stack: Node<T>[] = [];
    let n = this.#root;
    while (n) {
      if (after !== undefined && this.cmp(n.item, after) <= 0) n = n.right;
      else {
        stack.push(n);
        n = n.left;
      }
    }
    for (let top = stack.pop(); top !== undefined; top = stack.pop()) {
      if (visit(top.item) === false) return;
      for (let c = top.right; c; c = c.left) stack.push(c);
    }
  }

  toArray(): T[] {
    const out: T[] = [];
    this.walk((x) => {
      out.push(x);
      return true;
    });
    return out;
  }

  #nextPri(): number {
    let x = this.#seed;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.#seed = x >>> 0;
    return this.#seed;
  }

  /** Splits into (< item, >= item), or with `inclusive` into (<= item, > item). */
  #split(n: Node<T> | null, item: T, inclusive: boolean): [Node<T> | null, Node<T> | null] {
    if (!n) return [null, null];
    const c = this.cmp(n.item, item);
    if (c < 0 || (inclusive && c === 0)) {
      const [l, r] = this.#split(n.right, item, inclusive);
      n.right = l;
      n.size = size(n.left) + size(l) + 1;
      return [n, r];
    }
    const [l, r] = this.#split(n.left, item, inclusive);
    n.left = r;
    n.size = size(r) + size(n.right) + 1;
    return [l, n];
  }

  #merge(a: Node<T> | null, b: Node<T> | null): Node<T> | null {
    if (!a) return b;
    if (!b) return a;
    if (a.pri > b.pri) {
      a.right = this.#merge(a.right, b);
      a.size = size(a.left) + size(a.right) + 1;
      return a;
    }
    b.left = this.#merge(a, b.left);
    b.size = size(b.left) + size(b.right) + 1;
    return b;
  }
}
