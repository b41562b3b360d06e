/**
 * A part of the page that is drawn again only when what it shows changes: a 1,000-node topology or the
 * list of 3,000 machines would otherwise be compared element by element on every step of the simulation.
 */
import { Component, type ComponentChildren } from 'preact';

/** Props: `of` is what the content is drawn from (compared by identity); `draw` draws it. */
export interface FrozenProps {
  of: unknown;
  draw: () => ComponentChildren;
}

/** Renders `draw()` again only when `of` is another object. */
export class Frozen extends Component<FrozenProps> {
  override shouldComponentUpdate(next: FrozenProps): boolean {
    return next.of !== this.props.of;
  }

  override render() {
    return <>{this.props.draw()}</>;
  }
}
