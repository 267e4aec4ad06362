package dev.offload.internal.child;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The states stateful maps created in this worker, one per map. The parent pins a worker to one slot of a map, so
 * a worker never holds two slots of the same map; it may hold states of maps that ended without a release (a map
 * closed while its item ran), which are closed when the worker exits cleanly.
 */
final class SlotStates {
    private static final class State {
        final int slot;
        final Object value;
        final Target close;

        State(int slot, Object value, Target close) {
            this.slot = slot;
            this.value = value;
            this.close = close;
        }
    }

    private final Map<Long, State> states = new LinkedHashMap<>();

    /** The map's state in this worker, created with {@code init} on first use; init's exception fails the item. */
    Object stateFor(long mapKey, int slot, Target init, Object slotArgument, boolean initTakesArgument, Target close)
            throws Throwable {
        State s = states.get(mapKey);
        if (s == null) {
            Object value = init.invoke(initTakesArgument ? new Object[] {slot, slotArgument} : new Object[] {slot});
            s = new State(slot, value, close);
            states.put(mapKey, s);
        } else if (s.slot != slot) {
            throw new IllegalStateException("this worker holds slot " + s.slot + " of the map, not slot " + slot);
        }
        return s.value;
    }

    /** Closes and forgets the map's state; what close throws is the caller's. */
    void release(long mapKey) throws Throwable {
        State s = states.remove(mapKey);
        if (s != null && s.close != null) {
            s.close.invoke(new Object[] {s.value});
        }
    }

    /** Closes every state (the worker is exiting); failures are printed, not thrown. */
    void closeAll() {
        for (Long key : states.keySet().toArray(new Long[0])) {
            State s = states.get(key);
            try {
                release(key);
            } catch (Throwable t) {
                System.err.println("offload worker: closing the state of slot " + s.slot + " threw " + t);
            }
        }
        System.err.flush();
    }

    static void requireParameters(Target t, int n, String role) {
        if (t.parameterTypes.length != n) {
            throw new IllegalArgumentException("the " + role + " function " + t.id + " takes "
                    + t.parameterTypes.length + " parameters; a stateful map needs " + n);
        }
    }
}
