import { rootLogger } from "../../shared/log.ts";

/** Tests start many servers; their request logs would bury the test output. */
export const quietLog = rootLogger.child({ component: "test" }, { level: "silent" });
