// The channel code's daily adds and deletions (ECharts). Data and labels come from the
// page (a JSON script element and data attributes), so the page needs no inline script.
(function () {
  var element = document.getElementById("channel-code-chart");
  var source = document.getElementById("channel-code-chart-data");
  if (!window.echarts || !element || !source) { return; }
  var data = JSON.parse(source.textContent);
  var adds = element.dataset.addsLabel;
  var deletions = element.dataset.deletionsLabel;
  echarts.init(element).setOption({
    tooltip: { trigger: "axis" },
    legend: { data: [adds, deletions] },
    grid: { left: 40, right: 16, top: 32, bottom: 24 },
    xAxis: { type: "category", data: data.days },
    yAxis: { type: "value", minInterval: 1 },
    series: [
      { name: adds, type: "line", data: data.adds },
      { name: deletions, type: "line", data: data.deletions }
    ]
  });
})();
