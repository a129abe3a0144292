@testable import Storage
import Testing

@Suite("Splitting migration scripts into statements")
struct SQLScriptTests {
    @Test("statements end at top-level semicolons; comments and blanks are dropped")
    func plainStatements() {
        let script = """
            -- a table
            CREATE TABLE a (id INT);  /* block; comment */
            INSERT INTO a VALUES (1);

            -- trailing comment only;
            """
        #expect(SQLScript.statements(in: script) == ["CREATE TABLE a (id INT)", "INSERT INTO a VALUES (1)"])
    }

    @Test("semicolons inside strings, identifiers and dollar quotes stay inside the statement")
    func quoted() {
        let script = """
            INSERT INTO t VALUES ('a;b', 'it''s;');
            CREATE TABLE "odd;name" (x INT);
            CREATE FUNCTION f() RETURNS INT AS $body$ BEGIN RETURN 1; END; $body$ LANGUAGE plpgsql;
            DO $$ BEGIN PERFORM 1; END $$;
            SELECT $1
            """
        #expect(SQLScript.statements(in: script) == [
            "INSERT INTO t VALUES ('a;b', 'it''s;')",
            "CREATE TABLE \"odd;name\" (x INT)",
            "CREATE FUNCTION f() RETURNS INT AS $body$ BEGIN RETURN 1; END; $body$ LANGUAGE plpgsql",
            "DO $$ BEGIN PERFORM 1; END $$",
            "SELECT $1",
        ])
    }

    @Test("an unterminated string runs to the end instead of crashing")
    func unterminated() {
        #expect(SQLScript.statements(in: "SELECT 'open; still open") == ["SELECT 'open; still open"])
        #expect(SQLScript.statements(in: "") == [])
        #expect(SQLScript.statements(in: ";;;") == [])
    }
}
