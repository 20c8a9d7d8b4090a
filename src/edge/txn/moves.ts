/** Tables of allowed state moves for the transaction machines. */

/** For each state, the states a machine may move to from it. */
export type Moves<S extends string> = Readonly<Record<S, readonly S[]>>;

/** Throws unless the table allows the move: a move it does not list is a bug. */
export function checkMove<S extends string>(moves: Moves<S>, from: S, to: S, who: string): void {
  if (!moves[from].includes(to)) throw new Error(`${who}: no move ${from} -> ${to}`);
}
