/// A known path was called with a method it does not serve: `405 M_UNRECOGNIZED` per the spec.
struct UnsupportedMethodError: Error {}
