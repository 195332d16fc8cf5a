// A small TypeScript file to try completions on. `npm run demo` completes after
// "return " on line 23 (the unfinished isEmpty) with every strategy.
export class Stack<T> {
  private readonly items: T[] = [];

  push(item: T): void {
    this.items.push(item);
  }

  pop(): T | undefined {
    return this.items.pop();
  }

  peek(): T | undefined {
    return this.items[this.items.length - 1];
  }

  get size(): number {
    return this.items.length;
  }

  isEmpty(): boolean {
    return 
  }
}
