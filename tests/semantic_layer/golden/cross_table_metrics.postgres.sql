WITH "tickets_metrics" AS (
  SELECT
    "tickets"."region" AS "region",
    COUNT(*) AS "ticket_count",
    COUNT(CASE WHEN "tickets"."status" IN ('已解决', '已关闭') THEN 1 END) AS "resolved_ticket_count"
  FROM tickets AS "tickets"
  GROUP BY
    "tickets"."region"
), "surveys_metrics" AS (
  SELECT
    "tickets"."region" AS "region",
    AVG("surveys"."csat_score") AS "avg_csat",
    COUNT(*) AS "survey_count",
    COUNT(CASE WHEN "surveys"."nps_score" <= 6 THEN 1 END) AS "detractor_count",
    COUNT(CASE WHEN NOT "surveys"."nps_score" IS NULL THEN 1 END) AS "nps_response_count",
    COUNT(CASE WHEN "surveys"."nps_score" >= 9 THEN 1 END) AS "promoter_count"
  FROM surveys AS "surveys"
  LEFT JOIN tickets AS "tickets"
    ON "surveys"."ticket_id" = "tickets"."ticket_id"
  GROUP BY
    "tickets"."region"
)
SELECT
  COALESCE("tickets_metrics"."region", "surveys_metrics"."region") AS "region",
  COALESCE("tickets_metrics"."ticket_count", 0) AS "ticket_count",
  "surveys_metrics"."avg_csat" AS "avg_csat",
  CAST(COALESCE("surveys_metrics"."survey_count", 0) AS DOUBLE PRECISION) / NULLIF(COALESCE("tickets_metrics"."resolved_ticket_count", 0), 0) AS "survey_response_rate",
  CAST(100.0 * (
    (
      COALESCE("surveys_metrics"."promoter_count", 0)
    ) - (
      COALESCE("surveys_metrics"."detractor_count", 0)
    )
  ) AS DOUBLE PRECISION) / NULLIF((
    COALESCE("surveys_metrics"."nps_response_count", 0)
  ), 0) AS "nps"
FROM "tickets_metrics"
FULL JOIN "surveys_metrics"
  ON (
    (
      "tickets_metrics"."region" IS NULL
    ) = (
      "surveys_metrics"."region" IS NULL
    )
    AND COALESCE(CAST("tickets_metrics"."region" AS TEXT), '') = COALESCE(CAST("surveys_metrics"."region" AS TEXT), '')
  )
ORDER BY
  COALESCE("tickets_metrics"."region", "surveys_metrics"."region") COLLATE "C"
