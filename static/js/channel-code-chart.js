// The channel code's daily adds and deletions (ECharts). Data and labels come from the
// page (a JSON script element and data attributes), so the page needs no inline script.
//
// Every day is drawn as a solid dot big enough to see (a code with a single day of adds
// has one point and no line), the legend sits above the plot and the grid keeps room
// for the axis labels, so the legend never covers the axis. No entry animation: the
// figures are there as soon as the page is.
(function () {
  var element = document.getElementById("channel-code-chart");
  var source = document.getElementById("channel-code-chart-data");
  if (!window.echarts || !element || !source) { return; }
  var data = JSON.parse(source.textContent);
  var adds = element.dataset.addsLabel;
  var deletions = element.dataset.deletionsLabel;
  var empty = data.days.length === 0;
  function series(name, values, color) {
    return {
      name: name,
      type: "line",
      data: values,
      showSymbol: true,
      symbol: "circle",
      symbolSize: 8,
      lineStyle: { width: 2 },
      itemStyle: { color: color },
      emphasis: { focus: "series" }
    };
  }
  echarts.init(element).setOption({
    animation: false,
    color: ["#0d6efd", "#dc3545"],
    tooltip: { trigger: "axis" },
    legend: { data: [adds, deletions], top: 0, left: "center", itemGap: 24 },
    grid: { left: 8, right: 16, top: 40, bottom: 8, containLabel: true },
    title: empty ? { text: element.dataset.emptyLabel, left: "center", top: "middle", textStyle: { fontSize: 14, fontWeight: "normal", color: "#6c757d" } } : undefined,
    xAxis: { type: "category", data: data.days, boundaryGap: true, axisTick: { alignWithLabel: true } },
    yAxis: { type: "value", minInterval: 1, min: 0 },
    series: [
      series(adds, data.adds, "#0d6efd"),
      series(deletions, data.deletions, "#dc3545")
    ]
  });
})();
